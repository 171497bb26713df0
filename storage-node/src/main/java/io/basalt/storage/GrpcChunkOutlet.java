package io.basalt.storage;

import com.google.protobuf.UnsafeByteOperations;
import io.basalt.proto.shard.ReadShardResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;

/** A ReadShard gRPC call as a {@link ChunkOutlet}. */
record GrpcChunkOutlet(ServerCallStreamObserver<ReadShardResponse> call) implements ChunkOutlet {
    @Override
    public boolean isReady() {
        return call.isReady();
    }

    @Override
    public void onReady(Runnable task) {
        call.setOnReadyHandler(task);
    }

    @Override
    public void onCancel(Runnable task) {
        call.setOnCancelHandler(task);
    }

    @Override
    public void send(long offset, int length, boolean last, Fill fill) throws IOException {
        byte[] data = new byte[length]; // grpc serializes from the heap anyway: no buffer of its own to lend
        fill.into(ByteBuffer.wrap(data));
        call.onNext(ReadShardResponse.newBuilder()
                .setOffset(offset)
                .setData(UnsafeByteOperations.unsafeWrap(data))
                .build());
    }

    @Override
    public void complete() {
        call.onCompleted();
    }

    @Override
    public void fail(StatusRuntimeException status) {
        call.onError(status);
    }
}
