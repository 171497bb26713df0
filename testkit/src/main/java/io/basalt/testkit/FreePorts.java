package io.basalt.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Hands out TCP ports that are free on the loopback interface at the time of the call: the one port picker
 * of the Java side (tests, chaos cluster, bench). ./basalt dev has its own in bash with the semantics of
 * {@link #firstFreeFrom}, since a launcher cannot wait for a JVM per port.
 */
public final class FreePorts {
    private FreePorts() {}

    /** A port the kernel just let us bind on 127.0.0.1; another process may still take it later. */
    public static int allocate() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot allocate a free port", e);
        }
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
            try (ServerSocket ss = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                return p;
            } catch (IOException e) {
                // taken
            }
        }
        throw new IllegalStateException("no free port from " + first);
    }
}
