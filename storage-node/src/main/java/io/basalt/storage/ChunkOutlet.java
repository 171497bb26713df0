package io.basalt.storage;

import io.grpc.StatusRuntimeException;
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

    /**
     * Sends the range's bytes at shard {@code offset}: {@code first}, then {@code second} when not null. They are
     * copied or serialized before this returns, so the sender may reuse their arrays. {@code last}: they end
     * the range.
     */
    void send(long offset, ByteBuffer first, ByteBuffer second, boolean last);

    /** The range was sent whole. */
    void complete();

    void fail(StatusRuntimeException status);
}
