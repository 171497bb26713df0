package io.basalt.gateway.s3;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** A minimal streaming XML writer for S3 responses: elements, escaped text, nothing else. */
public final class Xml {

    public static final String NS = "http://s3.amazonaws.com/doc/2006-03-01/";
    private static final DateTimeFormatter ISO =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final StringBuilder sb = new StringBuilder(256).append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

    public Xml open(String name) {
        sb.append('<').append(name).append('>');
        return this;
    }

    /** The document's root element, in S3's namespace. */
    public Xml root(String name) {
        sb.append('<').append(name).append(" xmlns=\"").append(NS).append("\">");
        return this;
    }

    /** An element start tag with attributes, given as name, value pairs. */
    public Xml open(String name, String... attributes) {
        sb.append('<').append(name);
        for (int i = 0; i + 1 < attributes.length; i += 2) {
            sb.append(' ').append(attributes[i]).append("=\"");
            escape(attributes[i + 1]);
            sb.append('"');
        }
        sb.append('>');
        return this;
    }

    public Xml close(String name) {
        sb.append("</").append(name).append('>');
        return this;
    }

    public Xml element(String name, Object value) {
        if (value == null) return this;
        open(name);
        escape(String.valueOf(value));
        return close(name);
    }

    /** Text inside the element opened last. */
    public Xml text(String value) {
        escape(value);
        return this;
    }

    public Xml empty(String name) {
        sb.append('<').append(name).append("/>");
        return this;
    }

    public static String iso(long unixMs) {
        return ISO.format(Instant.ofEpochMilli(unixMs));
    }

    private void escape(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> {
                    // XML 1.0 cannot carry most control characters, not even as references (&#x7; breaks the
                    // SDKs' parsers): shown as U+FFFD. Keys cannot hold them (see S3Context.checkKey); this covers
                    // echoed input (a prefix, an error's resource) and keys stored before that check.
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF)
                        sb.append('\uFFFD');
                    else sb.append(c);
                }
            }
        }
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
