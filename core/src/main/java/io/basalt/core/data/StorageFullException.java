package io.basalt.core.data;

/**
 * A write failed because storage nodes had no room for its shards, which the write quorum needed (S3: 507): unlike
 * {@link StorageUnavailableException}, a retry meets the same refusal until objects are deleted or capacity is added.
 */
public final class StorageFullException extends RuntimeException {
    public StorageFullException(String message, Throwable cause) {
        super(message, cause);
    }
}
