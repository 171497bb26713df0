package io.basalt.storage;

import java.io.IOException;

/** Stored bytes failed a checksum or structural check: the shard must not be served. */
final class CorruptShardException extends IOException {
    CorruptShardException(String message) {
        super(message);
    }
}
