package io.basalt.storage;

import io.grpc.StatusRuntimeException;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a {@link ChunkSender} sends a range: a gRPC ReadShard call ({@link GrpcChunkOutlet}) or a data-port
 * connection ({@link ShardDataServer}). Only the sender calls it, one call at a time.
 */
interface ChunkOutlet {
    /** Whether the transport takes another message now; when it does not, {@link #onReady}'s task runs later. */
    boolean isReady();

    void onReady(Runnable task);

    /** {@code task} runs (off the transport's threads) when the caller goes away before the range ended. */
    void onCancel(Runnable task);

    /** Writes a message's bytes. */
    @FunctionalInterface
    interface Fill {
        void into(ByteBuffer dst) throws IOException;
    }

    /**
     * Sends {@code length} bytes at shard {@code offset} that {@code fill} writes straight into the message's
     * buffer, which saves a copy where the transport has one to lend. If {@code fill} throws, nothing is sent
     * and the exception passes on.
     */
    void send(long offset, int length, boolean last, Fill fill) throws IOException;

    /** Whether the outlet sends a buffer's bytes from where they are ({@link #lend}); otherwise only {@link #send}. */
    default boolean takesLent() {
        return false;
    }

    /**
     * Where {@link #takesLent}: sends {@code data}'s readable bytes at shard {@code offset}, taking over one reference
     * to it; it may stay unsent until {@link #flush}.
     */
    default void lend(long offset, ByteBuf data, boolean last) {
        data.release();
        throw new UnsupportedOperationException("this outlet copies: send, not lend");
    }

    /** Puts on the wire what {@link #lend} left unsent. */
    default void flush() {}

    /** The range was sent whole. */
    void complete();

    void fail(StatusRuntimeException status);
}
