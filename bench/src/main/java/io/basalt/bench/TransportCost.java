package io.basalt.bench;

import io.basalt.core.tls.ClusterTls;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;

/**
 * CPU seconds per GB that moving bytes over one loopback connection costs the sending and the receiving thread,
 * plain and with the cluster's TLS (TLS 1.3 through the JDK's provider, as the cluster's gRPC runs it, and through
 * BoringSSL, as its data ports run it where netty-tcnative loads): what
 * each hop of the data path costs at least, before any framing, protocol or copy of a server's own. Each side
 * counts its own thread's CPU (user + system, softirq work included where the kernel charges it to the thread).
 */
final class TransportCost {
    /** CPU seconds per GB sent, and per GB received. */
    record Cost(double send, double receive) {}

    static final int WRITE = 256 << 10; // a shard chunk

    private TransportCost() {}

    /** Direct buffers through SocketChannels: no copy between the Java heap and the kernel. */
    static Cost plain(long totalBytes) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<Long> receiver = cpuOf(() -> {
                try (SocketChannel ch = server.accept()) {
                    ByteBuffer buf = ByteBuffer.allocateDirect(WRITE);
                    long got = 0;
                    for (int n; (n = ch.read(buf.clear())) >= 0; ) got += n;
                    if (got != sentBytes(totalBytes))
                        throw new IOException("received " + got + " of " + sentBytes(totalBytes) + " bytes");
                }
            });
            long sent;
            try (SocketChannel ch = SocketChannel.open(server.getLocalAddress())) {
                ByteBuffer buf = ByteBuffer.allocateDirect(WRITE);
                buf.put(randomBytes(WRITE)).flip();
                sent = cpuOfThisThread(() -> {
                    for (long w = 0; w < totalBytes; w += WRITE) {
                        buf.rewind();
                        while (buf.hasRemaining()) ch.write(buf);
                    }
                });
            }
            return perGb(sent, receiver.join(), sentBytes(totalBytes));
        }
    }

    /**
     * TLS 1.3 with {@code tls}'s certificates (a throwaway cluster CA's), through the JDK's SSLEngine as a server drives it at best:
     * 256 KiB of plaintext wrapped record by record into a 1 MiB heap buffer that goes out in one write, and on the
     * other side read 1 MiB at a time and unwrapped record by record. (The JDK's SSLSocket, which writes each 16 KiB
     * record by itself and copies more, costs about three times as much here, so it is not the floor.)
     */
    static Cost tls(long totalBytes, ClusterTls tls) throws Exception {
        return tls(
                totalBytes,
                port -> tls.sslContext().createSSLEngine("127.0.0.1", port),
                () -> tls.sslContext().createSSLEngine(),
                ByteBuffer::allocate);
    }

    /**
     * The same through BoringSSL (netty-tcnative), with the data ports' contexts, in direct buffers, which it
     * encrypts and decrypts in place (heap buffers it would copy first): the TLS a data port pays at least.
     */
    static Cost boringSsl(long totalBytes, ClusterTls tls) throws Exception {
        if (ClusterTls.DATA_PORT_PROVIDER != SslProvider.OPENSSL)
            throw new IllegalStateException("BoringSSL is not loaded here");
        List<SSLEngine> engines = new ArrayList<>();
        try {
            return tls(
                    totalBytes,
                    port -> remember(engines, tls.dataClientContext().newEngine(ALLOCATOR, "127.0.0.1", port)),
                    () -> remember(engines, tls.dataServerContext().newEngine(ALLOCATOR)),
                    ByteBuffer::allocateDirect);
        } finally {
            for (SSLEngine e : engines) ReferenceCountUtil.release(e); // BoringSSL's state is native memory
        }
    }

    private static final ByteBufAllocator ALLOCATOR = PooledByteBufAllocator.DEFAULT;

    private static SSLEngine remember(List<SSLEngine> engines, SSLEngine e) {
        engines.add(e);
        return e;
    }

    private static Cost tls(
            long totalBytes,
            IntFunction<SSLEngine> clientTo,
            Supplier<SSLEngine> server,
            IntFunction<ByteBuffer> buffers)
            throws Exception {
        long bytes = sentBytes(totalBytes);
        try (ServerSocketChannel listening = ServerSocketChannel.open()) {
            listening.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SSLEngine client = clientTo.apply(listening.socket().getLocalPort());
            client.setUseClientMode(true);
            SSLEngine receiving = server.get();
            receiving.setUseClientMode(false);
            handshake(client, receiving); // in memory and not counted: a connection is set up once per peer
            try (SocketChannel out = SocketChannel.open(listening.getLocalAddress());
                    SocketChannel in = listening.accept()) {
                CompletableFuture<Long> receiver = cpuOf(() -> {
                    // closed when done or failed, so that a sender never waits on a reader that stopped
                    try (in) {
                        ByteBuffer net = buffers.apply(BATCH);
                        ByteBuffer app = buffers.apply(BATCH);
                        long got = 0;
                        while (got < bytes && in.read(net) >= 0) {
                            net.flip();
                            SSLEngineResult r;
                            do {
                                r = receiving.unwrap(net, app.clear());
                                got += r.bytesProduced();
                            } while (r.getStatus() == SSLEngineResult.Status.OK && r.bytesConsumed() > 0);
                            net.compact();
                        }
                        if (got != bytes) throw new IOException("received " + got + " of " + bytes + " bytes");
                    }
                });
                ByteBuffer app = buffers.apply(WRITE).put(randomBytes(WRITE)).flip();
                ByteBuffer net = buffers.apply(BATCH);
                int record = client.getSession().getPacketBufferSize();
                long sent = cpuOfThisThread(() -> {
                    for (long w = 0; w < totalBytes; w += WRITE) {
                        app.rewind();
                        while (app.hasRemaining()) {
                            if (net.remaining() < record) drain(net, out);
                            client.wrap(app, net);
                        }
                    }
                    drain(net, out);
                });
                return perGb(sent, receiver.join(), bytes);
            }
        }
    }

    private static final int BATCH = 1 << 20;

    private static void drain(ByteBuffer net, SocketChannel out) throws IOException {
        net.flip();
        while (net.hasRemaining()) out.write(net);
        net.clear();
    }

    /** Runs the TLS handshake between two engines by handing their records across in memory. */
    private static void handshake(SSLEngine a, SSLEngine b) throws IOException {
        ByteBuffer aToB = ByteBuffer.allocate(1 << 17), bToA = ByteBuffer.allocate(1 << 17);
        ByteBuffer sink = ByteBuffer.allocate(1 << 17), none = ByteBuffer.allocate(0);
        a.beginHandshake();
        b.beginHandshake();
        for (int i = 0; i < 100; i++) {
            if (done(a) && done(b)) return;
            step(a, bToA, aToB, sink, none);
            step(b, aToB, bToA, sink, none);
        }
        throw new IOException("TLS handshake between two engines did not finish");
    }

    private static boolean done(SSLEngine e) {
        return e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                || e.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED;
    }

    private static void step(SSLEngine e, ByteBuffer in, ByteBuffer out, ByteBuffer sink, ByteBuffer none)
            throws IOException {
        Runnable task;
        while ((task = e.getDelegatedTask()) != null) task.run();
        switch (e.getHandshakeStatus()) {
            case NEED_WRAP -> e.wrap(none, out);
            case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                in.flip();
                e.unwrap(in, sink.clear());
                in.compact();
            }
            default -> {}
        }
    }

    private interface Work {
        void run() throws IOException;
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** CPU nanoseconds of this JVM's live threads whose names start with {@code prefix}, summed. */
    static long threadCpu(String prefix) {
        long sum = 0;
        for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith(prefix)) {
                long c = THREADS.getThreadCpuTime(t.getThreadId());
                if (c > 0) sum += c;
            }
        }
        return sum;
    }

    private static long cpuOfThisThread(Work w) throws IOException {
        long start = THREADS.getCurrentThreadCpuTime();
        w.run();
        return THREADS.getCurrentThreadCpuTime() - start;
    }

    private static CompletableFuture<Long> cpuOf(Work w) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        Thread.ofPlatform().name("bench-transport-receiver").start(() -> {
            try {
                f.complete(cpuOfThisThread(w));
            } catch (IOException e) {
                f.completeExceptionally(new UncheckedIOException(e));
            }
        });
        return f;
    }

    /** What the senders send for {@code totalBytes}: whole writes. */
    static long sentBytes(long totalBytes) {
        return (totalBytes + WRITE - 1) / WRITE * WRITE;
    }

    private static Cost perGb(long sendNanos, long receiveNanos, long bytes) {
        double gb = bytes / 1e9;
        return new Cost(sendNanos / 1e9 / gb, receiveNanos / 1e9 / gb);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SplittableRandom(11).nextBytes(b);
        return b;
    }
}
