package io.basalt.gateway.handlers;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BucketNamesTest {

    @Test
    void acceptsS3Names() {
        for (String n : new String[] {"abc", "milvus-bucket", "a-bucket", "my.bucket.1", "a".repeat(63)}) {
            assertTrue(BucketHandler.validName(n), n);
        }
    }

    @Test
    void rejectsWhatS3Rejects() {
        for (String n : new String[] {
            "ab",
            "a".repeat(64),
            "Bad_Name",
            "UPPER",
            "-lead",
            "trail-",
            "a..b",
            "a.-b",
            "a-.b",
            "192.168.1.1",
            "with space",
            "x/y",
            ""
        }) {
            assertFalse(BucketHandler.validName(n), n);
        }
    }
}
