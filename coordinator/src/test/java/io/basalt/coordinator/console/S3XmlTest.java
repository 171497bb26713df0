package io.basalt.coordinator.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class S3XmlTest {

    static byte[] xml(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsAListingPageWithPrefixesAndItsNextToken() {
        S3Xml.Listing l = S3Xml.listing(xml("""
                <?xml version="1.0" encoding="UTF-8"?>
                <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>a/</Prefix>
                <KeyCount>2</KeyCount><MaxKeys>100</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
                <Contents><Key>a/x &amp; y</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>
                <ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
                <CommonPrefixes><Prefix>a/sub/</Prefix></CommonPrefixes>
                <NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>
                """));
        assertEquals(List.of(new S3Xml.Entry("a/x & y", 12, "2026-01-01T00:00:00.000Z", "abc")), l.objects());
        assertEquals(List.of("a/sub/"), l.prefixes());
        assertEquals("tok+/=", l.nextToken());
        S3Xml.Listing last = S3Xml.listing(
                xml("<ListBucketResult><IsTruncated>false</IsTruncated><NextContinuationToken>t</NextContinuationToken>"
                        + "</ListBucketResult>"));
        assertNull(last.nextToken(), "the last page has no next");
    }

    @Test
    void readsBucketsAndErrorsAndRefusesDoctypes() {
        assertEquals(
                List.of(new S3Xml.Bucket("one", "2026-01-01T00:00:00.000Z")),
                S3Xml.buckets(
                        xml(
                                "<ListAllMyBucketsResult><Owner><ID>x</ID></Owner><Buckets><Bucket><Name>one</Name>"
                                        + "<CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>")));
        assertEquals(
                "AccessDenied: Access Denied.",
                S3Xml.error(xml("<Error><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>")));
        assertNull(S3Xml.error(xml("not xml")));
        assertThrows(
                IllegalArgumentException.class,
                () -> S3Xml.listing(xml("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>")));
    }
}
