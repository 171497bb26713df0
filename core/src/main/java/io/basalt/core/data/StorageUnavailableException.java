package io.basalt.core.data;

/** Storage nodes failed a write or read in a way a retry may not meet again (S3: 503). */
public final class StorageUnavailableException extends RuntimeException {
    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
