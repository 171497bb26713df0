package io.basalt.core.shard;

import io.grpc.Status;
import java.io.IOException;

/** A storage node failed, refused or stalled a shard write. */
public final class ShardWriteException extends IOException {
    private final boolean forWantOfRoom;

    public ShardWriteException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /** @param forWantOfRoom the write as a whole failed because nodes had no room for their shards */
    public ShardWriteException(String message, Throwable cause, boolean forWantOfRoom) {
        super(message, cause);
        this.forWantOfRoom = forWantOfRoom;
    }

    /** Whether the write failed because storage nodes had no room: freeing space, not waiting, lets it through. */
    public boolean forWantOfRoom() {
        return forWantOfRoom;
    }

    /** Whether {@code error} is a node's refusal of a shard for want of room (its status RESOURCE_EXHAUSTED). */
    public static boolean noRoom(Throwable error) {
        return Status.fromThrowable(error).getCode() == Status.Code.RESOURCE_EXHAUSTED;
    }
}
