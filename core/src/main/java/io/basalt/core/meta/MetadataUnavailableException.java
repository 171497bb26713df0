package io.basalt.core.meta;

/** etcd did not answer in time or refused; the request may be retried. */
public final class MetadataUnavailableException extends RuntimeException {
    public MetadataUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
