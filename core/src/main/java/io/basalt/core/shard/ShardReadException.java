package io.basalt.core.shard;

import io.grpc.Status;
import java.io.IOException;

/** A shard read that the storage node refused or broke off; {@link #corrupt()} marks bitrot. */
public final class ShardReadException extends IOException {

    private final Status.Code code;

    public ShardReadException(String nodeId, Throwable cause) {
        super("read from " + nodeId + " failed: " + Status.fromThrowable(cause), cause);
        this.code = Status.fromThrowable(cause).getCode();
    }

    public boolean corrupt() {
        return code == Status.Code.DATA_LOSS;
    }

    /**
     * The node answered but the shard is bad (bitrot, truncated) or gone (its file deleted): lost like rot,
     * so it is reported for healing; the node itself is fine and not to be avoided.
     */
    public boolean lost() {
        return code == Status.Code.DATA_LOSS || code == Status.Code.NOT_FOUND;
    }
}
