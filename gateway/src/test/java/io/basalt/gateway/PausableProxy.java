package io.basalt.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on 127.0.0.1 to a node's port that can be paused: while paused it moves no byte either way, as a
 * node stopped with SIGSTOP (the kernel still accepts connections; nothing is read or answered), and on resume it
 * delivers what queued meanwhile. TLS passes through it untouched.
 */
final class PausableProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private boolean paused; // guarded by gate

    PausableProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("proxy-accept").start(this::accept);
    }

    /** HOST:PORT as a node record advertises it. */
    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    void pause() {
        synchronized (gate) {
            paused = true;
        }
    }

    void resume() {
        synchronized (gate) {
            paused = false;
            gate.notifyAll();
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofPlatform().daemon().start(() -> pump(client, upstream));
                Thread.ofPlatform().daemon().start(() -> pump(upstream, client));
            } catch (IOException closed) {
                if (server.isClosed()) return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[64 << 10];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                awaitRunning(); // bytes read just before a pause wait for the resume, as the rest
                out.write(buf, 0, n);
            }
        } catch (IOException | InterruptedException ended) {
            // either side closed: close both
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void awaitRunning() throws InterruptedException {
        synchronized (gate) {
            while (paused) gate.wait();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        resume();
        server.close();
        for (Socket s : sockets) closeQuietly(s);
    }
}
