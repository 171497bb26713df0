package io.basalt.chaos;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, byte by byte as the caller wants it: wrong lengths, truncated bodies, a
 * half-close or a reset mid-body. Reads at most one answer and classifies how the server ended the exchange.
 */
public final class RawHttp implements AutoCloseable {

    /** How the exchange ended: an answer, the server closing without one, or nothing within the timeout. */
    public enum End {
        ANSWER,
        CLOSED,
        TIMEOUT
    }

    public record Answer(End end, int status, Map<String, String> headers, String body, long millis) {
        public boolean isS3Error() {
            return body != null && body.contains("<Error>") && body.contains("<Code>");
        }

        public String code() {
            if (body == null) return null;
            int a = body.indexOf("<Code>"), b = body.indexOf("</Code>");
            return a >= 0 && b > a ? body.substring(a + 6, b) : null;
        }

        public String show() {
            return switch (end) {
                case ANSWER -> status + (code() != null ? " " + code() : "") + " in " + millis + " ms";
                case CLOSED -> "connection closed without an answer after " + millis + " ms";
                case TIMEOUT -> "no answer within " + millis + " ms";
            };
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final long opened = System.nanoTime();

    public RawHttp(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 3000);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
    }

    /** The head of a request: request line, headers (Host is the caller's), blank line. */
    public static byte[] head(String method, String target, Map<String, String> headers) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
        return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    public RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** FIN: no more bytes from us, the answer may still come. */
    public RawHttp halfClose() throws IOException {
        socket.shutdownOutput();
        return this;
    }

    /** RST: gone mid-request, as a crashed client or a cut cable. */
    public void reset() {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException ignored) {
            // closed already
        }
    }

    /** Reads one answer (the body only up to 64 KiB); never longer than {@code timeoutMillis} in total. */
    public Answer read(long timeoutMillis, boolean head) {
        long start = System.nanoTime();
        long deadline = start + timeoutMillis * 1_000_000;
        try {
            InputStream in = socket.getInputStream();
            return readAnswer(new ByteArrayOutputStream(), in, new byte[8192], deadline, start, head);
        } catch (SocketTimeoutException e) {
            return new Answer(End.TIMEOUT, 0, Map.of(), null, ms(start));
        } catch (IOException e) {
            return new Answer(End.CLOSED, 0, Map.of(), e.toString(), ms(start)); // reset by the server
        }
    }

    private Answer readAnswer(
            ByteArrayOutputStream buf, InputStream in, byte[] b, long deadline, long start, boolean head)
            throws IOException {
        int headEnd = indexOf(buf.toByteArray(), "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        while (headEnd < 0) {
            int n = readSome(in, b, deadline);
            if (n < 0)
                return new Answer(
                        buf.size() == 0 ? End.CLOSED : End.ANSWER,
                        buf.size() == 0 ? 0 : -1,
                        Map.of(),
                        buf.toString(StandardCharsets.ISO_8859_1),
                        ms(start));
            buf.write(b, 0, n);
            headEnd = indexOf(buf.toByteArray(), "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        byte[] all = buf.toByteArray();
        String[] lines = new String(all, 0, headEnd, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        int code = status.length > 1 ? parseInt(status[1]) : -1;
        if (code == 100) { // an interim answer: the real one follows
            byte[] rest = java.util.Arrays.copyOfRange(all, headEnd + 4, all.length);
            buf.reset();
            buf.write(rest);
            return readAnswer(buf, in, b, deadline, start, head);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0)
                headers.put(
                        lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(c + 1).trim());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(all, headEnd + 4, all.length - headEnd - 4);
        long len = head || code == 204 || code == 304 ? 0 : parseLong(headers.get("content-length"));
        while (len >= 0 && body.size() < Math.min(len, 64 << 10)) {
            int n = readSome(in, b, deadline);
            if (n < 0) break;
            body.write(b, 0, n);
        }
        return new Answer(End.ANSWER, code, headers, body.toString(StandardCharsets.UTF_8), ms(start));
    }

    private int readSome(InputStream in, byte[] b, long deadline) throws IOException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) throw new SocketTimeoutException();
        socket.setSoTimeout((int) Math.max(1, left));
        return in.read(b);
    }

    private static long ms(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long parseLong(String s) {
        if (s == null) return -1;
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static int indexOf(byte[] a, byte[] pat) {
        outer:
        for (int i = 0; i + pat.length <= a.length; i++) {
            for (int j = 0; j < pat.length; j++) if (a[i + j] != pat[j]) continue outer;
            return i;
        }
        return -1;
    }

    public long ageMillis() {
        return (System.nanoTime() - opened) / 1_000_000;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closed already
        }
    }
}
