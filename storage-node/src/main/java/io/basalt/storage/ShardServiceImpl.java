package io.basalt.storage;

import io.basalt.proto.shard.DeleteShardRequest;
import io.basalt.proto.shard.DeleteShardResponse;
import io.basalt.proto.shard.ListShardsRequest;
import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ReadShardResponse;
import io.basalt.proto.shard.ShardInfo;
import io.basalt.proto.shard.ShardServiceGrpc;
import io.basalt.proto.shard.StatShardRequest;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The gRPC face of a {@link ShardStore}: validates requests and maps failures to statuses. */
public final class ShardServiceImpl extends ShardServiceGrpc.ShardServiceImplBase {
    /**
     * Commits of WriteShard streams: they wait for fsyncs, so not on a transport thread; one thread
     * each, as concurrent fsyncs on one disk finish together. Idle threads end after a minute.
     */
    static final Executor COMMITS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "shard-commit");
        t.setDaemon(true);
        return t;
    });

    private static final Logger log = LogManager.getLogger(ShardServiceImpl.class);

    private final ShardStore store;
    private final NodeMetrics metrics;

    ShardServiceImpl(ShardStore store, NodeMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    /**
     * The service as served: the generated methods, but WriteShard with the node's own request
     * parser ({@link WriteShardMessage}), which keeps chunk data in the transport's buffers.
     * Its messages stay on gRPC's executor, not the transport thread: a page-cache write to a disk
     * that hangs must stall its own stream only, not every stream of that event loop (reads of the
     * healthy disks included). Running them inline saved ~1 CPU-s/GB of 6-7 on PUT, measured.
     */
    ServerServiceDefinition definition() {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(ShardServiceGrpc.SERVICE_NAME);
        for (ServerMethodDefinition<?, ?> m : bindService().getMethods()) {
            if (!m.getMethodDescriptor().getFullMethodName().equals(WriteShardMessage.WRITE_SHARD.getFullMethodName()))
                b.addMethod(m);
        }
        return b.addMethod(
                        WriteShardMessage.WRITE_SHARD,
                        ServerCalls.asyncClientStreamingCall(
                                response -> new ShardWriteSession(store, response, metrics, COMMITS)))
                .build();
    }

    @Override
    public void readShard(ReadShardRequest request, StreamObserver<ReadShardResponse> response) {
        ChunkSender.serve(
                store, metrics, request, new GrpcChunkOutlet((ServerCallStreamObserver<ReadShardResponse>) response));
    }

    @Override
    public void statShard(StatShardRequest request, StreamObserver<ShardInfo> response) {
        String shardId = request.getShardId();
        try {
            ShardInfo info = ShardInfos.of(store.stat(ShardId.validate(shardId)));
            response.onNext(info);
            response.onCompleted();
        } catch (IOException | RuntimeException e) {
            response.onError(GrpcErrors.toStatus("StatShard", shardId, e));
        }
    }

    @Override
    public void deleteShard(DeleteShardRequest request, StreamObserver<DeleteShardResponse> response) {
        String shardId = request.getShardId();
        try {
            long before = request.getOnlyIfWrittenBeforeUnixMs() == 0
                    ? Long.MAX_VALUE
                    : request.getOnlyIfWrittenBeforeUnixMs();
            ShardStore.Deletion d = store.delete(ShardId.validate(shardId), before);
            response.onNext(DeleteShardResponse.newBuilder()
                    .setExisted(d != ShardStore.Deletion.ABSENT)
                    .setKept(d == ShardStore.Deletion.KEPT_NEWER)
                    .build());
            response.onCompleted();
            metrics.deletes.labels("OK").inc();
        } catch (IOException | RuntimeException e) {
            StatusRuntimeException status = GrpcErrors.toStatus("DeleteShard", shardId, e);
            metrics.deletes.labels(NodeMetrics.code(status)).inc();
            response.onError(status);
        }
    }

    @Override
    public void listShards(ListShardsRequest request, StreamObserver<ShardInfo> response) {
        try {
            int limit = (int) Math.min(Integer.toUnsignedLong(request.getLimit()), Integer.MAX_VALUE);
            for (String id : store.list(request.getPrefix(), request.getStartAfter(), limit)) {
                try {
                    response.onNext(ShardInfos.of(store.stat(id)));
                } catch (NoSuchFileException e) {
                    // deleted while listing: leave it out
                } catch (CorruptShardException e) {
                    // still listed, so scrub and GC can see it; readers will get DATA_LOSS
                    log.warn("listing unreadable shard {}: {}", id, e.getMessage());
                    response.onNext(ShardInfo.newBuilder().setShardId(id).build());
                }
            }
            response.onCompleted();
        } catch (IOException | RuntimeException e) {
            response.onError(GrpcErrors.toStatus("ListShards", request.getPrefix() + "*", e));
        }
    }
}
