package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.UriEncoding;
import io.basalt.gateway.s3.Xml;
import io.basalt.gateway.s3.XmlBody;
import java.util.LinkedHashMap;
import java.util.Map;
import org.w3c.dom.Element;

/**
 * Object tags as S3 takes them: the {@code x-amz-tagging} header (URL-query form, {@code k1=v1&k2=v2})
 * on PUT, CopyObject and CreateMultipartUpload, and the {@code <Tagging>} document of PutObjectTagging.
 * S3's rules: at most 10 per object, keys unique, 1-128 characters, values up to 256, letters, digits,
 * spaces and {@code + - = . _ : / @}, no {@code aws:} prefix. Checked before any byte is stored.
 */
final class ObjectTags {

    static final int MAX_TAGS = 10, MAX_KEY_CHARS = 128, MAX_VALUE_CHARS = 256;

    private ObjectTags() {}

    /** The tags of an {@code x-amz-tagging} header; empty when absent. */
    static Map<String, String> fromHeader(String header) {
        Map<String, String> tags = new LinkedHashMap<>();
        if (header == null || header.isEmpty()) return tags;
        for (String pair : header.split("&", -1)) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            add(tags, key, value);
        }
        return tags;
    }

    /** The tags of a PutObjectTagging body. */
    static Map<String, String> fromXml(Element tagging) {
        if (!XmlBody.localName(tagging).equals("Tagging")) throw new S3Exception(S3Error.MALFORMED_XML);
        var sets = XmlBody.children(tagging, "TagSet");
        if (sets.size() != 1) throw new S3Exception(S3Error.MALFORMED_XML);
        Map<String, String> tags = new LinkedHashMap<>();
        for (Element tag : XmlBody.children(sets.get(0), "Tag")) {
            var keys = XmlBody.children(tag, "Key");
            var values = XmlBody.children(tag, "Value");
            if (keys.size() != 1 || values.size() > 1) throw new S3Exception(S3Error.MALFORMED_XML);
            // not trimmed: a tag's spaces are part of it
            add(
                    tags,
                    keys.get(0).getTextContent(),
                    values.isEmpty() ? "" : values.get(0).getTextContent());
        }
        return tags;
    }

    static Xml toXml(Map<String, String> tags) {
        Xml doc = new Xml().root("Tagging").open("TagSet");
        for (Map.Entry<String, String> t : tags.entrySet()) {
            doc.open("Tag")
                    .element("Key", t.getKey())
                    .element("Value", t.getValue())
                    .close("Tag");
        }
        return doc.close("TagSet").close("Tagging");
    }

    private static void add(Map<String, String> tags, String key, String value) {
        check(key, value);
        if (tags.put(key, value) != null) {
            throw new S3Exception(S3Error.INVALID_TAG, "Cannot provide multiple Tags with the same key");
        }
        if (tags.size() > MAX_TAGS) {
            throw new S3Exception(S3Error.BAD_REQUEST, "Object tags cannot be greater than " + MAX_TAGS);
        }
    }

    private static void check(String key, String value) {
        int keyChars = key.codePointCount(0, key.length());
        if (keyChars == 0 || keyChars > MAX_KEY_CHARS || !allowed(key)) {
            throw new S3Exception(S3Error.INVALID_TAG, "The TagKey you have provided is invalid");
        }
        if (key.startsWith("aws:")) {
            throw new S3Exception(S3Error.INVALID_TAG, "Your TagKey cannot be prefixed with aws:");
        }
        if (value.codePointCount(0, value.length()) > MAX_VALUE_CHARS || !allowed(value)) {
            throw new S3Exception(S3Error.INVALID_TAG, "The TagValue you have provided is invalid");
        }
    }

    private static boolean allowed(String s) {
        return s.codePoints().allMatch(c -> Character.isLetterOrDigit(c) || c == ' ' || "+-=._:/@".indexOf(c) >= 0);
    }

    private static String decode(String s) {
        return UriEncoding.decode(s, true);
    }
}
