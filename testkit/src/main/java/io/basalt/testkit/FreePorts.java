package io.basalt.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Hands out TCP ports that are free on the loopback interface at the time of the call. */
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
}
