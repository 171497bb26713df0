package io.basalt.core.shard;

import java.io.IOException;

/** A storage node failed, refused or stalled a shard write. */
public final class ShardWriteException extends IOException {
    public ShardWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
