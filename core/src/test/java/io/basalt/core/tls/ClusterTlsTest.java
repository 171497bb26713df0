package io.basalt.core.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.shard.ShardClients;
import io.basalt.proto.shard.ShardInfo;
import io.basalt.proto.shard.ShardServiceGrpc;
import io.basalt.proto.shard.StatShardRequest;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class ClusterTlsTest {

    @TempDir
    Path dir;

    /** Answers StatShard with the id it was asked for: enough to see a call get through. */
    static final class Echo extends ShardServiceGrpc.ShardServiceImplBase {
        @Override
        public void statShard(StatShardRequest request, StreamObserver<ShardInfo> response) {
            response.onNext(
                    ShardInfo.newBuilder().setShardId(request.getShardId()).build());
            response.onCompleted();
        }
    }

    @Test
    void aRenewedCertificateIsServedWithoutARestart() throws Exception {
        Renewal renewal = Renewal.expiredServer(dir);
        try (ClusterTls serverTls = ClusterTls.open(renewal.serverDir);
                ClusterTls clientTls = ClusterTls.open(renewal.clientDir)) {
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .sslContext(serverTls.serverContext())
                    .addService(new Echo())
                    .build()
                    .start();
            try {
                String address = "127.0.0.1:" + server.getPort();
                try (ShardClients clients = new ShardClients(clientTls)) {
                    StatusRuntimeException expired =
                            assertThrows(StatusRuntimeException.class, () -> stat(clients, address));
                    assertEquals(Status.Code.UNAVAILABLE, expired.getStatus().getCode());
                }

                renewal.renew(serverTls);
                try (ShardClients clients = new ShardClients(clientTls)) {
                    assertEquals("s", stat(clients, address).getShardId());
                }
            } finally {
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void theDataPortsTlsServesARenewedCertificateWithoutARestart() throws Exception {
        Renewal renewal = Renewal.expiredServer(dir);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ClusterTls serverTls = ClusterTls.open(renewal.serverDir);
                ClusterTls clientTls = ClusterTls.open(renewal.clientDir)) {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(pipeline(ch ->
                            ch.pipeline().addLast(serverTls.dataServerContext().newHandler(ch.alloc()))))
                    .bind("127.0.0.1", 0)
                    .sync()
                    .channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            assertFalse(handshake(group, clientTls, port), "an expired server certificate is refused");

            renewal.renew(serverTls);
            assertTrue(handshake(group, clientTls, port), "the renewed one is served to the next connection");
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** A server whose certificate has expired, a client whose has not, both of one CA; then the server's renewed. */
    private record Renewal(CertificateAuthority ca, Path serverDir, Path clientDir) {
        static Renewal expiredServer(Path dir) throws Exception {
            Renewal r = new Renewal(
                    CertificateAuthority.create("ca", Duration.ofDays(1)),
                    dir.resolve("server"),
                    dir.resolve("client"));
            Instant now = Instant.now();
            r.ca.issue(r.serverDir, "node", List.of("127.0.0.1"), now.minus(Duration.ofDays(2)), now.minusSeconds(60));
            r.ca.issue(r.clientDir, "gateway", List.of("127.0.0.1"), Duration.ofDays(1));
            return r;
        }

        /** Renews the server's certificate in place, and has {@code serverTls} pick it up. */
        void renew(ClusterTls serverTls) throws Exception {
            ca.issue(serverDir, "node", List.of("127.0.0.1"), Duration.ofDays(1));
            serverTls.reloadIfChanged();
        }
    }

    /** A channel initializer that runs {@code init} on each new channel. */
    private static ChannelInitializer<SocketChannel> pipeline(Consumer<SocketChannel> init) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                init.accept(ch);
            }
        };
    }

    /** Whether a data-port TLS handshake with the server on {@code port} succeeds. */
    private static boolean handshake(EventLoopGroup group, ClusterTls tls, int port) throws Exception {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        Channel ch = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(pipeline(c -> {
                    SslHandler ssl = tls.dataClientContext().newHandler(c.alloc(), "127.0.0.1", port);
                    ssl.handshakeFuture().addListener(f -> done.complete(f.isSuccess()));
                    c.pipeline().addLast(ssl);
                }))
                .connect("127.0.0.1", port)
                .sync()
                .channel();
        try {
            return done.get(10, TimeUnit.SECONDS);
        } finally {
            ch.close().sync();
        }
    }

    @Test
    void aHalfWrittenRenewalKeepsThePreviousCertificates() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("ca", Duration.ofDays(1));
        ca.issue(dir, "node", List.of("127.0.0.1"), Duration.ofDays(1));
        try (ClusterTls tls = ClusterTls.open(dir)) {
            Files.writeString(dir.resolve(ClusterTls.KEY_FILE), "-----BEGIN PRIVATE KEY-----\ntrunc");
            tls.reloadIfChanged(); // logged, not thrown: the process keeps serving with what it had
            assertTrue(tls.serverContext().isServer());
        }
    }

    @Test
    void missingOrForeignFilesAreNamed() throws Exception {
        IOException missing = assertThrows(IOException.class, () -> ClusterTls.open(dir));
        assertTrue(missing.getMessage().contains(dir.resolve(ClusterTls.CA_FILE).toString()), missing.getMessage());

        CertificateAuthority.create("ca", Duration.ofDays(1)).issue(dir, "n", List.of("localhost"), Duration.ofDays(1));
        Files.writeString(
                dir.resolve(ClusterTls.KEY_FILE),
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        IOException pkcs1 = assertThrows(IOException.class, () -> ClusterTls.open(dir));
        assertTrue(pkcs1.getMessage().contains("PKCS#8"), pkcs1.getMessage());
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, architectures = "amd64")
    void theDataPortsRunOnBoringSslWhereItsLibraryIsShipped() {
        // the build ships linux-x86_64's native library: a packaging slip would quietly fall back to the JDK's engine
        assertEquals(SslProvider.OPENSSL, ClusterTls.DATA_PORT_PROVIDER, String.valueOf(OpenSsl.unavailabilityCause()));
    }

    @Test
    void theFlagHasNoDefault() {
        assertThrows(IllegalArgumentException.class, () -> ClusterTls.dirFlag(null));
        assertNull(ClusterTls.dirFlag("none"));
        assertEquals(Path.of("/etc/basalt/tls"), ClusterTls.dirFlag("/etc/basalt/tls"));
    }

    private static ShardInfo stat(ShardClients clients, String address) {
        return clients.blocking(address)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .statShard(StatShardRequest.newBuilder().setShardId("s").build());
    }
}
