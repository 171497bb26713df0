package io.basalt.core.shard;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.basalt.proto.shard.ShardServiceGrpc;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One long-lived gRPC channel per storage node address, shared by all requests. */
public final class ShardClients implements AutoCloseable {

    static final int MAX_MESSAGE_BYTES = 16 << 20;

    private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    public ShardServiceGrpc.ShardServiceStub async(String address) {
        return ShardServiceGrpc.newStub(channel(address));
    }

    public ShardServiceGrpc.ShardServiceBlockingStub blocking(String address) {
        return ShardServiceGrpc.newBlockingStub(channel(address));
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> {
            int colon = a.lastIndexOf(':');
            return NettyChannelBuilder.forAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1)))
                    .usePlaintext()
                    .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                    .keepAliveTime(30, TimeUnit.SECONDS)
                    .build();
        });
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
