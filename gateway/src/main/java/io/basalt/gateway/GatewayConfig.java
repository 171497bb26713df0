package io.basalt.gateway;

import io.basalt.gateway.auth.Credentials;

import java.util.List;

/** Everything a gateway needs to start. */
public record GatewayConfig(String host, int port, List<String> etcdEndpoints, String etcdPrefix,
                            int dataShards, int parityShards, int blockSize, Credentials credentials,
                            int workerThreads, long ioTimeoutMs, long minPartSize) {

    public static final int DEFAULT_BLOCK_SIZE = 1 << 20;

    public static GatewayConfig local(int port, String etcdEndpoint, int k, int m) {
        return new GatewayConfig("127.0.0.1", port, List.of(etcdEndpoint), "/basalt/", k, m, DEFAULT_BLOCK_SIZE,
                Credentials.single("minioadmin", "minioadmin"), 64, 30_000, 5L << 20);
    }

    public GatewayConfig withPrefix(String prefix) {
        return new GatewayConfig(host, port, etcdEndpoints, prefix, dataShards, parityShards, blockSize, credentials,
                workerThreads, ioTimeoutMs, minPartSize);
    }

    public GatewayConfig withIoTimeoutMs(long ms) {
        return new GatewayConfig(host, port, etcdEndpoints, etcdPrefix, dataShards, parityShards, blockSize, credentials,
                workerThreads, ms, minPartSize);
    }

    public GatewayConfig withMinPartSize(long bytes) {
        return new GatewayConfig(host, port, etcdEndpoints, etcdPrefix, dataShards, parityShards, blockSize, credentials,
                workerThreads, ioTimeoutMs, bytes);
    }
}
