package io.basalt.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hands out TCP ports that are free on the loopback interface at the time of the call: the one port picker
 * of the Java side (tests, chaos cluster, bench). ./basalt dev has its own in bash with the semantics of
 * {@link #firstFreeFrom}, since a launcher cannot wait for a JVM per port.
 *
 * <p>Ports come from below the kernel's ephemeral range. A port the kernel picked with bind(0) lies inside that
 * range, and between our probe and the service's own bind the kernel may give the same port to an outgoing
 * connection as its source port (13 JVMs opening etcd and gRPC connections do that often enough): the service
 * then fails with "address already in use". Below the range only an explicit bind takes a port.
 */
public final class FreePorts {
    private static final int LOWEST = 15000;
    private static final Set<Integer> handedOut = new HashSet<>();

    private FreePorts() {}

    /** A port we could bind on 127.0.0.1 just now, not handed out before by this JVM, outside the ephemeral range. */
    public static synchronized int allocate() {
        int below = ephemeralLow();
        int span = below - LOWEST;
        int start = ThreadLocalRandom.current().nextInt(span); // a random start: test JVMs side by side rarely meet
        for (int i = 0; i < span; i++) {
            int port = LOWEST + (start + i) % span;
            if (!handedOut.contains(port) && canBind(port)) {
                handedOut.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no free port in " + LOWEST + ".." + below);
    }

    /** {@code n} ports from {@link #allocate()}. */
    public static int[] allocate(int n) {
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) ports[i] = allocate();
        return ports;
    }

    /**
     * The first port from {@code first} up that nothing answers on and that we can bind on 127.0.0.1: for a
     * process whose other ports are derived from this one (./basalt dev puts its etcd and nodes just above its
     * S3 port), where an ephemeral port could leave no room above it.
     */
    public static int firstFreeFrom(int first) {
        for (int p = first; p < 65000; p++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 100);
                continue; // something answers
            } catch (IOException e) {
                // nothing listening: try to bind
            }
            if (canBind(p)) return p;
        }
        throw new IllegalStateException("no free port from " + first);
    }

    private static boolean canBind(int port) {
        try (ServerSocket ss = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The lower end of the kernel's ephemeral port range (Linux's default 32768 where it cannot be read). */
    static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > LOWEST + 1000 ? low : 32768;
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }
}
