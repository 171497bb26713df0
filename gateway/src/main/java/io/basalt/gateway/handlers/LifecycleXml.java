package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.Xml;
import io.basalt.gateway.s3.XmlBody;
import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.LifecycleRule;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.w3c.dom.Element;

/**
 * The {@code <LifecycleConfiguration>} document of Put/GetBucketLifecycleConfiguration, to and from the
 * stored {@link LifecycleConfiguration}. What Basalt cannot do (transitions: there are no storage classes)
 * is refused with 501, never dropped, and what S3 refuses is refused with S3's error.
 */
final class LifecycleXml {

    static final int MAX_RULES = 1000;
    private static final int MAX_ID_CHARS = 255;

    private LifecycleXml() {}

    static LifecycleConfiguration parse(Element root) {
        if (!XmlBody.localName(root).equals("LifecycleConfiguration")) throw new S3Exception(S3Error.MALFORMED_XML);
        List<Element> rules = XmlBody.children(root, "Rule");
        if (rules.isEmpty() || rules.size() > MAX_RULES) throw new S3Exception(S3Error.MALFORMED_XML);
        LifecycleConfiguration.Builder config = LifecycleConfiguration.newBuilder();
        Set<String> ids = new HashSet<>();
        for (Element r : rules) {
            LifecycleRule rule = rule(r);
            if (!rule.getId().isEmpty() && !ids.add(rule.getId())) {
                throw new S3Exception(
                        S3Error.INVALID_ARGUMENT, "Rule ID must be unique. Found same ID for more than one rule");
            }
            config.addRules(rule);
        }
        return config.build();
    }

    private static LifecycleRule rule(Element r) {
        LifecycleRule.Builder b = LifecycleRule.newBuilder();
        String id = XmlBody.text(r, "ID");
        if (id != null) {
            if (id.length() > MAX_ID_CHARS) {
                throw new S3Exception(S3Error.INVALID_ARGUMENT, "ID length should not exceed allowed limit of 255");
            }
            b.setId(id);
        }
        String status = XmlBody.text(r, "Status");
        if (!"Enabled".equals(status) && !"Disabled".equals(status)) throw new S3Exception(S3Error.MALFORMED_XML);
        b.setEnabled(status.equals("Enabled"));
        for (String unsupported : List.of("Transition", "NoncurrentVersionTransition")) {
            if (!XmlBody.children(r, unsupported).isEmpty()) {
                throw new S3Exception(
                        S3Error.NOT_IMPLEMENTED,
                        unsupported + " is not supported: Basalt has one storage class. Expire objects instead.");
            }
        }
        filter(r, b);
        Element expiration = only(r, "Expiration");
        if (expiration != null) expiration(expiration, b);
        Element noncurrent = only(r, "NoncurrentVersionExpiration");
        if (noncurrent != null) {
            b.setNoncurrentDays(days(XmlBody.text(noncurrent, "NoncurrentDays"), "NoncurrentDays"));
            String newer = XmlBody.text(noncurrent, "NewerNoncurrentVersions");
            if (newer != null) b.setNewerNoncurrentVersions(days(newer, "NewerNoncurrentVersions"));
        }
        Element abort = only(r, "AbortIncompleteMultipartUpload");
        if (abort != null) {
            b.setAbortIncompleteUploadDays(days(XmlBody.text(abort, "DaysAfterInitiation"), "DaysAfterInitiation"));
            if (b.getTagsCount() > 0 || b.getSizeGreaterThan() > 0 || b.getSizeLessThan() > 0) {
                throw new S3Exception(
                        S3Error.INVALID_REQUEST,
                        "AbortIncompleteMultipartUpload cannot be specified with Tags or an object size.");
            }
        }
        if (expiration == null && noncurrent == null && abort == null) {
            throw new S3Exception(S3Error.INVALID_REQUEST, "At least one action needs to be specified in a rule");
        }
        return b.build();
    }

    /** {@code <Filter>} (Prefix, Tag, ObjectSize*, or And of them) or the older {@code <Prefix>} beside it. */
    private static void filter(Element r, LifecycleRule.Builder b) {
        Element filter = only(r, "Filter");
        List<Element> legacy = XmlBody.children(r, "Prefix");
        if (filter != null && !legacy.isEmpty()) throw new S3Exception(S3Error.MALFORMED_XML);
        if (legacy.size() > 1) throw new S3Exception(S3Error.MALFORMED_XML);
        if (filter == null) {
            // no filter at all takes the whole bucket
            if (!legacy.isEmpty()) b.setPrefix(legacy.get(0).getTextContent()).setLegacyPrefix(true);
            return;
        }
        Element and = only(filter, "And");
        int conditions = XmlBody.children(filter, "Prefix").size()
                + XmlBody.children(filter, "Tag").size()
                + XmlBody.children(filter, "ObjectSizeGreaterThan").size()
                + XmlBody.children(filter, "ObjectSizeLessThan").size();
        if (and != null ? conditions > 0 : conditions > 1) throw new S3Exception(S3Error.MALFORMED_XML);
        conditions(and != null ? and : filter, b);
    }

    private static void conditions(Element e, LifecycleRule.Builder b) {
        Element prefix = only(e, "Prefix");
        if (prefix != null) b.setPrefix(prefix.getTextContent());
        for (Element tag : XmlBody.children(e, "Tag")) {
            List<Element> keys = XmlBody.children(tag, "Key");
            // not trimmed: a tag's spaces are part of it, as on the object
            String key = keys.size() == 1 ? keys.get(0).getTextContent() : "";
            if (key.isEmpty()) throw new S3Exception(S3Error.MALFORMED_XML);
            if (b.containsTags(key)) {
                throw new S3Exception(S3Error.INVALID_REQUEST, "Duplicate Tag Keys are not allowed.");
            }
            List<Element> value = XmlBody.children(tag, "Value");
            b.putTags(key, value.isEmpty() ? "" : value.get(0).getTextContent());
        }
        String gt = XmlBody.text(e, "ObjectSizeGreaterThan");
        if (gt != null) b.setSizeGreaterThan(size(gt));
        String lt = XmlBody.text(e, "ObjectSizeLessThan");
        if (lt != null) b.setSizeLessThan(size(lt));
        if (b.getSizeLessThan() > 0 && b.getSizeGreaterThan() >= b.getSizeLessThan()) {
            throw new S3Exception(
                    S3Error.INVALID_ARGUMENT, "ObjectSizeLessThan must be greater than ObjectSizeGreaterThan.");
        }
    }

    private static void expiration(Element e, LifecycleRule.Builder b) {
        String days = XmlBody.text(e, "Days");
        String date = XmlBody.text(e, "Date");
        String marker = XmlBody.text(e, "ExpiredObjectDeleteMarker");
        int given = (days == null ? 0 : 1) + (date == null ? 0 : 1) + (marker == null ? 0 : 1);
        if (given != 1) throw new S3Exception(S3Error.MALFORMED_XML);
        if (days != null) b.setExpirationDays(days(days, "Days"));
        if (date != null) b.setExpirationDateUnixMs(midnight(date));
        if (marker != null) {
            if (!marker.equals("true") && !marker.equals("false")) throw new S3Exception(S3Error.MALFORMED_XML);
            if (b.getTagsCount() > 0) {
                throw new S3Exception(
                        S3Error.INVALID_REQUEST, "ExpiredObjectDeleteMarker cannot be specified with object tags.");
            }
            b.setExpiredObjectDeleteMarker(marker.equals("true"));
        }
    }

    private static int days(String text, String element) {
        try {
            int n = Integer.parseInt(text);
            if (n > 0) return n;
        } catch (NumberFormatException | NullPointerException e) {
            // answered below
        }
        throw new S3Exception(S3Error.INVALID_ARGUMENT, "'" + element + "' must be a positive integer");
    }

    private static long size(String text) {
        try {
            long n = Long.parseLong(text);
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new S3Exception(S3Error.INVALID_ARGUMENT, "The object size must be a non-negative integer");
    }

    /** S3 takes an ISO 8601 date at midnight UTC only. */
    private static long midnight(String text) {
        Instant t;
        try {
            t = OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "'Date' must be an ISO 8601 date");
        }
        if (t.atOffset(ZoneOffset.UTC).toLocalTime().toNanoOfDay() != 0) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "'Date' must be at midnight GMT");
        }
        return t.toEpochMilli();
    }

    private static Element only(Element parent, String name) {
        List<Element> c = XmlBody.children(parent, name);
        if (c.size() > 1) throw new S3Exception(S3Error.MALFORMED_XML);
        return c.isEmpty() ? null : c.get(0);
    }

    static Xml toXml(LifecycleConfiguration config) {
        Xml doc = new Xml().root("LifecycleConfiguration");
        for (LifecycleRule r : config.getRulesList()) {
            doc.open("Rule");
            if (!r.getId().isEmpty()) doc.element("ID", r.getId());
            if (r.getLegacyPrefix()) {
                doc.element("Prefix", r.getPrefix());
            } else {
                filterXml(doc, r);
            }
            doc.element("Status", r.getEnabled() ? "Enabled" : "Disabled");
            if (r.getExpirationDays() > 0 || r.getExpirationDateUnixMs() > 0 || r.getExpiredObjectDeleteMarker()) {
                doc.open("Expiration");
                if (r.getExpirationDays() > 0) doc.element("Days", r.getExpirationDays());
                if (r.getExpirationDateUnixMs() > 0) doc.element("Date", Xml.iso(r.getExpirationDateUnixMs()));
                if (r.getExpiredObjectDeleteMarker()) doc.element("ExpiredObjectDeleteMarker", "true");
                doc.close("Expiration");
            }
            if (r.getNoncurrentDays() > 0) {
                doc.open("NoncurrentVersionExpiration").element("NoncurrentDays", r.getNoncurrentDays());
                if (r.getNewerNoncurrentVersions() > 0)
                    doc.element("NewerNoncurrentVersions", r.getNewerNoncurrentVersions());
                doc.close("NoncurrentVersionExpiration");
            }
            if (r.getAbortIncompleteUploadDays() > 0) {
                doc.open("AbortIncompleteMultipartUpload")
                        .element("DaysAfterInitiation", r.getAbortIncompleteUploadDays())
                        .close("AbortIncompleteMultipartUpload");
            }
            doc.close("Rule");
        }
        return doc.close("LifecycleConfiguration");
    }

    private static void filterXml(Xml doc, LifecycleRule r) {
        int conditions = (r.getPrefix().isEmpty() ? 0 : 1)
                + r.getTagsCount()
                + (r.getSizeGreaterThan() > 0 ? 1 : 0)
                + (r.getSizeLessThan() > 0 ? 1 : 0);
        doc.open("Filter");
        boolean and = conditions > 1;
        if (and) doc.open("And");
        if (conditions == 0 || !r.getPrefix().isEmpty()) doc.element("Prefix", r.getPrefix());
        for (Map.Entry<String, String> t : r.getTagsMap().entrySet()) {
            doc.open("Tag")
                    .element("Key", t.getKey())
                    .element("Value", t.getValue())
                    .close("Tag");
        }
        if (r.getSizeGreaterThan() > 0) doc.element("ObjectSizeGreaterThan", r.getSizeGreaterThan());
        if (r.getSizeLessThan() > 0) doc.element("ObjectSizeLessThan", r.getSizeLessThan());
        if (and) doc.close("And");
        doc.close("Filter");
    }
}
