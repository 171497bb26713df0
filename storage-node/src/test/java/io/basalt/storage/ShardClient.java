package io.basalt.storage;

import com.google.protobuf.ByteString;
import io.basalt.proto.shard.Chunk;
import io.basalt.proto.shard.DeleteShardRequest;
import io.basalt.proto.shard.ListShardsRequest;
import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ReadShardResponse;
import io.basalt.proto.shard.ShardInfo;
import io.basalt.proto.shard.ShardServiceGrpc;
import io.basalt.proto.shard.StatShardRequest;
import io.basalt.proto.shard.WriteShardHeader;
import io.basalt.proto.shard.WriteShardRequest;
import io.basalt.proto.shard.WriteShardResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/** A thin test client over a real channel to a running node. */
final class ShardClient implements AutoCloseable {
    final ManagedChannel channel;
    final ShardServiceGrpc.ShardServiceStub async;

    ShardClient(int port) {
        this(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build());
    }

    /** Over TLS with {@code ssl}: whatever certificate (or none) it offers and trusts. */
    ShardClient(int port, io.netty.handler.ssl.SslContext ssl) {
        this(NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(ssl).build());
    }

    private ShardClient(ManagedChannel channel) {
        this.channel = channel;
        async = ShardServiceGrpc.newStub(channel);
    }

    /** A blocking stub whose deadline starts now: a deadline set once on a shared stub runs out for later calls. */
    ShardServiceGrpc.ShardServiceBlockingStub blocking() {
        return ShardServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    static int crc(byte[] data, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(data, from, to - from);
        return (int) crc.getValue();
    }

    static WriteShardRequest header(String id, int chunkSize) {
        return WriteShardRequest.newBuilder()
                .setHeader(WriteShardHeader.newBuilder().setShardId(id).setChunkSize(chunkSize))
                .build();
    }

    static WriteShardRequest chunk(byte[] data, int from, int to, int crc) {
        return WriteShardRequest.newBuilder()
                .setChunk(Chunk.newBuilder()
                        .setData(ByteString.copyFrom(data, from, to - from))
                        .setCrc32C(crc))
                .build();
    }

    /** Sends the given messages then completes; returns the response or throws the call's error. */
    ShardInfo write(List<WriteShardRequest> messages) {
        CompletableFuture<WriteShardResponse> result = new CompletableFuture<>();
        StreamObserver<WriteShardRequest> requests = async.writeShard(observer(result));
        messages.forEach(requests::onNext);
        requests.onCompleted();
        try {
            return result.get(30, TimeUnit.SECONDS).getInfo();
        } catch (ExecutionException e) {
            throw (RuntimeException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    ShardInfo write(String id, byte[] data, int chunkSize) {
        List<WriteShardRequest> messages = new ArrayList<>();
        messages.add(header(id, chunkSize));
        for (int from = 0; from < data.length; from += chunkSize) {
            int to = Math.min(data.length, from + chunkSize);
            messages.add(chunk(data, from, to, crc(data, from, to)));
        }
        return write(messages);
    }

    static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.complete(null);
            }
        };
    }

    /** Reads a range and checks each message's offset continues the previous one. */
    byte[] read(String id, long offset, long length) {
        Iterator<ReadShardResponse> it = blocking()
                .readShard(ReadShardRequest.newBuilder()
                        .setShardId(id)
                        .setOffset(offset)
                        .setLength(length)
                        .build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (it.hasNext()) {
            ReadShardResponse r = it.next();
            if (r.getOffset() != offset + out.size()) {
                throw new AssertionError("message at offset " + r.getOffset() + ", expected " + (offset + out.size()));
            }
            out.writeBytes(r.getData().toByteArray());
        }
        return out.toByteArray();
    }

    ShardInfo stat(String id) {
        return blocking().statShard(StatShardRequest.newBuilder().setShardId(id).build());
    }

    boolean delete(String id) {
        return blocking()
                .deleteShard(DeleteShardRequest.newBuilder().setShardId(id).build())
                .getExisted();
    }

    List<String> list(String prefix, String startAfter, int limit) {
        List<String> ids = new ArrayList<>();
        blocking()
                .listShards(ListShardsRequest.newBuilder()
                        .setPrefix(prefix)
                        .setStartAfter(startAfter)
                        .setLimit(limit)
                        .build())
                .forEachRemaining(info -> ids.add(info.getShardId()));
        return ids;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
