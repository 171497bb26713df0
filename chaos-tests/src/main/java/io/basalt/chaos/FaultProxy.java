package io.basalt.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 in front of one storage node, which advertises the proxy's ports in etcd (one per
 * port of the node: gRPC and shard data), so gateways and the coordinator reach the node only through it (the
 * node's own etcd traffic is not proxied: its lease lives on, as when a network fault cuts the data path but
 * not the control plane). A mode applies to all of the node's ports at once, as a fault of its network would.
 *
 * <p>Why a proxy and not {@code tc netem} in network namespaces: this kernel has no {@code sch_netem}
 * ("Specified qdisc kind is unknown"), and a proxy needs no root. Modes, switchable at any time:
 * <ul>
 *   <li>{@link Mode#PASS}: bytes flow unchanged;</li>
 *   <li>{@link Mode#DELAY}: every chunk of bytes is held for the configured latency before it is passed on
 *       (a pipeline: latency, not a bandwidth cap);</li>
 *   <li>{@link Mode#FLAKY}: now and then a connection is reset (RST, as a middlebox dropping state does) or
 *       a direction stalls for a while (as under heavy loss);</li>
 *   <li>{@link Mode#PARTITION}: nothing moves: existing connections are black-holed without being closed and
 *       new ones are accepted but never connected through (the hardest case: only timeouts notice). When
 *       the partition heals, held connections carry on.</li>
 * </ul>
 * Each connection uses two virtual threads per direction (reader and delayed writer).
 */
public final class FaultProxy implements AutoCloseable {

    public enum Mode {
        PASS,
        DELAY,
        FLAKY,
        PARTITION
    }

    private static final int CHUNK = 64 << 10;
    /** Per chunk in FLAKY mode: the chance to reset the connection, and to stall the direction. */
    private static final double RESET_CHANCE = 0.02, STALL_CHANCE = 0.03;

    private final ServerSocket[] servers;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private final AtomicLong resets = new AtomicLong(), stalls = new AtomicLong(), connections = new AtomicLong();
    private volatile Mode mode = Mode.PASS;
    private volatile long delayMillis;
    private volatile boolean closed;

    /** Listens on a port of its own in front of each of {@code targetPorts}. */
    public FaultProxy(int... targetPorts) throws IOException {
        servers = new ServerSocket[targetPorts.length];
        for (int i = 0; i < targetPorts.length; i++) {
            servers[i] = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
            ServerSocket server = servers[i];
            InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPorts[i]);
            Thread.ofVirtual().name("proxy-accept-" + server.getLocalPort()).start(() -> acceptLoop(server, target));
        }
    }

    /** The port in front of the first target. */
    public int port() {
        return port(0);
    }

    /** The port in front of target {@code i}. */
    public int port(int i) {
        return servers[i].getLocalPort();
    }

    public Mode mode() {
        return mode;
    }

    public void pass() {
        set(Mode.PASS, 0);
    }

    public void delay(long millis) {
        set(Mode.DELAY, millis);
    }

    public void flaky() {
        set(Mode.FLAKY, 0);
    }

    public void partition() {
        set(Mode.PARTITION, 0);
    }

    private void set(Mode m, long delay) {
        synchronized (gate) {
            delayMillis = delay;
            mode = m;
            gate.notifyAll();
        }
    }

    /** Connections reset and directions stalled by FLAKY so far; connections accepted. */
    public long resets() {
        return resets.get();
    }

    public long stalls() {
        return stalls.get();
    }

    public long connections() {
        return connections.get();
    }

    private void acceptLoop(ServerSocket server, InetSocketAddress target) {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) ChaosMain.log("proxy :" + server.getLocalPort() + " accept failed: " + e);
                return;
            }
            connections.incrementAndGet();
            sockets.add(client);
            Thread.ofVirtual().name("proxy-conn-" + server.getLocalPort()).start(() -> connect(client, target));
        }
    }

    private void connect(Socket client, InetSocketAddress target) {
        Socket upstream = new Socket();
        try {
            awaitNotPartitioned(); // accepted (the kernel did), but not a byte goes through yet
            sockets.add(upstream);
            upstream.connect(target, 2000);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
            Link link = new Link(client, upstream);
            new Direction(link, client.getInputStream(), upstream.getOutputStream(), upstream).start();
            new Direction(link, upstream.getInputStream(), client.getOutputStream(), client).start();
        } catch (IOException | InterruptedException e) {
            // the node is down (connection refused), or we are closing: the client sees a close, as without us
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    private void awaitNotPartitioned() throws InterruptedException {
        synchronized (gate) {
            while (mode == Mode.PARTITION && !closed) gate.wait();
        }
    }

    /** One proxied connection: both sockets, reset together. */
    private final class Link {
        final Socket a, b;
        final java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();

        Link(Socket a, Socket b) {
            this.a = a;
            this.b = b;
        }

        void reset() {
            for (Socket s : new Socket[] {a, b}) {
                try {
                    s.setSoLinger(true, 0); // close with RST, not FIN
                } catch (IOException ignored) {
                    // already closed
                }
                closeQuietly(s);
            }
        }

        void close() {
            closeQuietly(a);
            closeQuietly(b);
        }

        /** A direction passed its FIN on; when both have, the link is done. */
        void halfDone() {
            if (finished.incrementAndGet() == 2) close();
        }
    }

    private record Chunk(byte[] bytes, long dueNanos) {
        static final Chunk EOF = new Chunk(new byte[0], 0);
    }

    /** One direction of a link: a reader stamps chunks with their due time, a writer sends them when due. */
    private final class Direction {
        final Link link;
        final InputStream in;
        final OutputStream out;
        final Socket outSocket;
        final LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>(64);

        Direction(Link link, InputStream in, OutputStream out, Socket outSocket) {
            this.link = link;
            this.in = in;
            this.out = out;
            this.outSocket = outSocket;
        }

        void start() {
            Thread.ofVirtual().start(this::read);
            Thread.ofVirtual().start(this::write);
        }

        private void read() {
            byte[] buf = new byte[CHUNK];
            try {
                while (true) {
                    awaitNotPartitioned();
                    int n = in.read(buf);
                    if (n < 0) break;
                    awaitNotPartitioned();
                    if (mode == Mode.FLAKY) {
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        if (r.nextDouble() < RESET_CHANCE) {
                            resets.incrementAndGet();
                            link.reset();
                            queue.offer(Chunk.EOF);
                            return;
                        }
                        if (r.nextDouble() < STALL_CHANCE) {
                            stalls.incrementAndGet();
                            Thread.sleep(300 + r.nextInt(2500));
                        }
                    }
                    long due = mode == Mode.DELAY ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis) : 0;
                    queue.put(new Chunk(Arrays.copyOf(buf, n), due));
                }
            } catch (IOException | InterruptedException e) {
                // closed or reset: the writer ends the link
            }
            try {
                queue.put(Chunk.EOF);
            } catch (InterruptedException ignored) {
                // closing anyway
            }
        }

        private void write() {
            try {
                while (true) {
                    Chunk c = queue.take();
                    if (c == Chunk.EOF) break;
                    long wait = c.dueNanos() - System.nanoTime();
                    if (c.dueNanos() != 0 && wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                    awaitNotPartitioned();
                    out.write(c.bytes());
                }
                outSocket.shutdownOutput(); // pass the FIN on; the other direction may still be talking
                link.halfDone();
            } catch (IOException | InterruptedException e) {
                link.close();
            }
        }
    }

    private void closeQuietly(Socket s) {
        sockets.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (gate) {
            gate.notifyAll();
        }
        for (ServerSocket server : servers) {
            try {
                server.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
        for (Socket s : sockets) closeQuietly(s);
        sockets.clear();
    }
}
