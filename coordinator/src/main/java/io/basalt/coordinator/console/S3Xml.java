package io.basalt.coordinator.console;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/** Reads the few S3 XML answers the console needs (bucket list, object list, error). */
final class S3Xml {

    /** A bucket as ListBuckets names it. */
    record Bucket(String name, String created) {}

    /** An object of a listing page. */
    record Entry(String key, long size, String lastModified, String etag) {}

    /** One page of ListObjectsV2 with delimiter "/": objects, sub-prefixes, and the token of the next page (or null). */
    record Listing(List<Entry> objects, List<String> prefixes, String nextToken) {}

    private S3Xml() {}

    static List<Bucket> buckets(byte[] xml) {
        List<Bucket> out = new ArrayList<>();
        for (Element b : children(parse(xml).getDocumentElement(), "Buckets", "Bucket")) {
            out.add(new Bucket(text(b, "Name"), text(b, "CreationDate")));
        }
        return out;
    }

    static Listing listing(byte[] xml) {
        Element root = parse(xml).getDocumentElement();
        List<Entry> objects = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element e)) continue;
            switch (e.getTagName()) {
                case "Contents" ->
                    objects.add(new Entry(
                            text(e, "Key"),
                            Long.parseLong(text(e, "Size")),
                            text(e, "LastModified"),
                            unquote(text(e, "ETag"))));
                case "CommonPrefixes" -> prefixes.add(text(e, "Prefix"));
                default -> {}
            }
        }
        boolean truncated = "true".equals(text(root, "IsTruncated"));
        return new Listing(objects, prefixes, truncated ? text(root, "NextContinuationToken") : null);
    }

    /** The {@code Code} and {@code Message} of an S3 error body, as "Code: Message"; null when it is none. */
    static String error(byte[] xml) {
        try {
            Element root = parse(xml).getDocumentElement();
            return root.getTagName().equals("Error") ? text(root, "Code") + ": " + text(root, "Message") : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static String unquote(String etag) {
        return etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
                ? etag.substring(1, etag.length() - 1)
                : etag;
    }

    private static Document parse(byte[] xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalArgumentException("the gateway's answer is not XML: " + e.getMessage(), e);
        }
    }

    private static List<Element> children(Element parent, String wrapper, String name) {
        List<Element> out = new ArrayList<>();
        NodeList wrappers = parent.getElementsByTagName(wrapper);
        for (int i = 0; i < wrappers.getLength(); i++) {
            for (Node n = wrappers.item(i).getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && e.getTagName().equals(name)) out.add(e);
            }
        }
        return out;
    }

    /** The text of {@code parent}'s first direct child {@code name}, null when it has none. */
    private static String text(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) return e.getTextContent();
        }
        return null;
    }
}
