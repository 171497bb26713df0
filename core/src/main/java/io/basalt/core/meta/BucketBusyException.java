package io.basalt.core.meta;

/**
 * A write or delete met another DeleteBucket in progress on the same bucket for longer than it
 * waits (normally milliseconds; up to the marker's lease after a deleter crashed). Nothing was
 * committed: the caller may discard what it wrote and the client may retry.
 */
public final class BucketBusyException extends RuntimeException {
    public BucketBusyException(String bucket) {
        super("a DeleteBucket is in progress on " + bucket);
    }
}
