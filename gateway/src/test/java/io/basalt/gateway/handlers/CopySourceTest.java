package io.basalt.gateway.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.gateway.s3.S3Exception;
import org.junit.jupiter.api.Test;

class CopySourceTest {

    @Test
    void parsesTheHeaderForms() {
        assertEquals(new CopySource("b", "k/x y", null), CopySource.parse("/b/k/x%20y"));
        assertEquals(new CopySource("b", "k/x y", null), CopySource.parse("b/k/x%20y"));
        assertEquals(new CopySource("b", "a+b?c", "null"), CopySource.parse("b/a+b%3Fc?versionId=null"));
        assertEquals(new CopySource("b", "ä", null), CopySource.parse("/b/%C3%A4"));
        String id = "0000019b00000000" + "0123456789abcdef";
        assertEquals(new CopySource("b", "k", id), CopySource.parse("b/k?versionId=" + id));
    }

    @Test
    void rejectsWhatNamesNoObject() {
        for (String bad : new String[] {"", "b", "/b", "/b/", "/", "//k"}) {
            assertEquals(
                    "InvalidArgument",
                    assertThrows(S3Exception.class, () -> CopySource.parse(bad))
                            .error()
                            .code(),
                    bad);
        }
        assertEquals(
                "NoSuchVersion",
                assertThrows(S3Exception.class, () -> CopySource.parse("b/k?versionId=abc"))
                        .error()
                        .code());
    }
}
