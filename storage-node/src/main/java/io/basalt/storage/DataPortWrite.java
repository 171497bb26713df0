package io.basalt.storage;

import com.google.common.util.concurrent.MoreExecutors;
import io.basalt.core.shard.DataFrames;
import io.basalt.proto.shard.WriteShardHeader;
import io.basalt.proto.shard.WriteShardResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One WriteShard on a data-port connection: its frames fed in order to a {@link ShardWriteSession} off the event
 * loop (a page-cache write to a disk that hangs stalls this stream only), and the session's answer sent back as
 * ACK or ERROR. The chunks stay in the buffers TLS decrypted them into until the session has written them. A
 * connection whose session is {@link #HELD_CHUNKS} chunks behind stops reading, so a fast caller cannot fill this
 * node's memory.
 */
final class DataPortWrite implements StreamObserver<WriteShardResponse> {
    private static final int HELD_CHUNKS = 4;

    private final Channel channel;
    private final Runnable ended; // frees the connection for its next stream
    private final ShardWriteSession session;
    private final Executor inOrder;
    private final AtomicInteger held = new AtomicInteger();

    DataPortWrite(Channel channel, Runnable ended, ShardStore store, NodeMetrics metrics, Executor workers) {
        this.channel = channel;
        this.ended = ended;
        this.session = new ShardWriteSession(store, this, metrics, ShardServiceImpl.COMMITS);
        this.inOrder = MoreExecutors.newSequentialExecutor(workers);
    }

    void header(WriteShardHeader header) {
        inOrder.execute(() -> session.onNext(WriteShardMessage.header(header)));
    }

    /** A CHUNK frame, on the event loop; the session releases it once written. */
    void chunk(ByteBuf frame, int at, int payload) {
        int crc = frame.getInt(at);
        int length = payload - DataFrames.CRC_BYTES;
        ByteBuffer[] data = length == 0 ? new ByteBuffer[0] : frame.nioBuffers(at + DataFrames.CRC_BYTES, length);
        if (held.incrementAndGet() >= HELD_CHUNKS) channel.config().setAutoRead(false);
        inOrder.execute(() -> {
            session.onNext(WriteShardMessage.chunk(data, crc, frame::release));
            // decided on the event loop, where the reads that add chunks run: no resume is lost to a race
            if (held.decrementAndGet() == HELD_CHUNKS / 2)
                channel.eventLoop().execute(() -> {
                    if (held.get() < HELD_CHUNKS) channel.config().setAutoRead(true);
                });
        });
    }

    void commit() {
        inOrder.execute(session::onCompleted);
    }

    /** The connection closed before the stream ended: nothing of the write may remain. */
    void lost() {
        inOrder.execute(() -> session.onError(
                Status.CANCELLED.withDescription("connection closed").asRuntimeException()));
    }

    @Override
    public void onNext(WriteShardResponse response) {
        byte[] info = response.getInfo().toByteArray();
        ended.run(); // before the ACK: the caller may send its next stream as soon as that arrives
        channel.writeAndFlush(
                DataFrames.header(DataFrames.ACK, info.length, 0).writeBytes(info), channel.voidPromise());
    }

    @Override
    public void onCompleted() {
        // the ACK said it all
    }

    @Override
    public void onError(Throwable t) {
        // The stream stays the connection's until it closes: the caller's chunks may still be arriving, and
        // the session drops them.
        channel.writeAndFlush(DataFrames.error(Status.fromThrowable(t))).addListener(ChannelFutureListener.CLOSE);
    }
}
