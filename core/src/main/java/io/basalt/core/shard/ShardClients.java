package io.basalt.core.shard;

import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.shard.ShardServiceGrpc;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One long-lived gRPC channel per storage node address, shared by all requests, and pooled connections to the
 * nodes' data ports ({@link DataConnections}): mutual TLS with the cluster's certificates, or plaintext where
 * the cluster runs without (tests, a single trusted host).
 */
public final class ShardClients implements AutoCloseable {

    static final int MAX_MESSAGE_BYTES = 16 << 20;

    /**
     * HTTP/2 flow-control window of every shard stream, both ways: the bytes a receiver may hold
     * that its reader has not asked for yet. Fixed, because grpc's default tunes it from
     * bandwidth-delay pings up to 8 MiB per stream, and a coordinator healing 8 segments from
     * 4-6 streams each then needed more direct memory than its heap allows (the allocator failed,
     * holding its arena lock, and the heal crawled). With 1 MiB a stream holds at most its read
     * window plus 1 MiB, and loopback or LAN round trips keep a 1 MiB window full.
     */
    public static final int FLOW_CONTROL_WINDOW = 1 << 20;

    private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final ClusterTls tls;
    private volatile DataConnections data; // made at the first data-port read: most processes of a test never read

    /** Over mutual TLS with {@code tls}'s certificates (the caller closes it), or plaintext when it is null. */
    public ShardClients(ClusterTls tls) {
        this.tls = tls;
    }

    /** Plaintext: only for a cluster that runs without internal TLS. */
    public ShardClients() {
        this(null);
    }

    public ShardServiceGrpc.ShardServiceStub async(String address) {
        return ShardServiceGrpc.newStub(channel(address));
    }

    public ShardServiceGrpc.ShardServiceBlockingStub blocking(String address) {
        return ShardServiceGrpc.newBlockingStub(channel(address));
    }

    DataConnections data() {
        DataConnections d = data;
        if (d != null) return d;
        synchronized (this) {
            if (data == null) data = new DataConnections(tls);
            return data;
        }
    }

    ManagedChannel channel(String address) {
        ManagedChannel ch = channels.computeIfAbsent(address, this::connect);
        // A channel whose last connect failed waits out an exponential backoff (up to minutes)
        // before trying again, failing every call meanwhile. Nodes come back on the same address
        // after a restart, so retry at once: against a node that is still down it costs one
        // refused connection.
        if (ch.getState(false) == ConnectivityState.TRANSIENT_FAILURE) ch.resetConnectBackoff();
        return ch;
    }

    private ManagedChannel connect(String address) {
        int colon = address.lastIndexOf(':');
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(
                address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
        if (tls == null) builder.usePlaintext();
        else builder.sslContext(tls.clientContext());
        return builder.maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .flowControlWindow(FLOW_CONTROL_WINDOW)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .build();
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
        synchronized (this) {
            if (data != null) data.close();
        }
    }
}
