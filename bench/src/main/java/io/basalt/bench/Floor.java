package io.basalt.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The least server CPU per GB of payload that a 4+2 PUT and GET need on this machine (and per GB a heal reads),
 * summed from the measured
 * limits: each step the data must take between the client's socket and the disk (and back), at the cost of the
 * machine's primitive for it, with no framing, buffer management or thread hand-off of a server's own. A server
 * whose gateway and disks are separate processes joined by the cluster's TLS cannot go below it here; the report
 * sets each workload's server CPU against it.
 */
record Floor(String name, double total, String how, List<Row> rows) {
    /**
     * The steps one group of a server's threads does, and what they cost at the floor: {@code kinds} of the
     * processes of {@code role}, as the bench's CPU breakdown names them.
     */
    record Row(String label, String role, List<String> kinds, double seconds) {}

    static final String PUT = "floor: server CPU per GB of PUT";
    static final String GET = "floor: server CPU per GB of GET";
    static final String HEAL = "floor: CPU per GB a heal reads";
    private static final double SHARDS_PER_BYTE = 6.0 / 4; // 4+2: every payload byte leaves the gateway as 1.5

    static List<Floor> of(Limits l) {
        List<Floor> out = new ArrayList<>();
        double crc = 1 / l.get("CRC32C, one core");
        // shard bytes cross the data ports, so their TLS is the data ports' (BoringSSL where it loads)
        String gateway = "gateway", nodes = "storage-nodes";
        Parts put = new Parts()
                .row("gateway: the client's bodies", gateway, ThreadKinds.UNDERTOW_WORKER)
                .add("gateway: receive from the client", 1, l.get(Limits.PLAIN_RECEIVE))
                .add("SHA-256 (chunk signatures)", 1, 1 / l.get("SHA-256, one core"))
                .add("RS encode 4+2", 1, 1 / l.get("RS encode 4+2"))
                .row("gateway: the ETag's MD5", gateway, ThreadKinds.BASALT)
                .add("MD5 (ETag)", 1, 1 / l.get("MD5, one core"))
                .row("gateway: shards out", gateway, ThreadKinds.EVENT_LOOP)
                .add("TLS send", SHARDS_PER_BYTE, l.dataPortTlsSend())
                .row("storage nodes: shards in", nodes, ThreadKinds.EVENT_LOOP)
                .add("nodes: TLS receive", SHARDS_PER_BYTE, l.dataPortTlsReceive())
                .row("storage nodes: checksum and write", nodes, ThreadKinds.GRPC_EXECUTOR, ThreadKinds.BASALT)
                .add("CRC32C", SHARDS_PER_BYTE, crc)
                .add("O_DIRECT write + fsync", SHARDS_PER_BYTE, l.get(Limits.SHARD_WRITES));
        Parts get = new Parts()
                .row("storage nodes: read and check", nodes, ThreadKinds.GRPC_EXECUTOR)
                .add("nodes: O_DIRECT read", 1, l.get(Limits.SHARD_READS))
                .add("CRC32C", 1, crc)
                .row("storage nodes: shards out", nodes, ThreadKinds.EVENT_LOOP)
                .add("TLS send", 1, l.dataPortTlsSend())
                .row("gateway: shards in", gateway, ThreadKinds.EVENT_LOOP)
                .add("gateway: TLS receive", 1, l.dataPortTlsReceive())
                .row("gateway: to the client", gateway, ThreadKinds.UNDERTOW_WORKER)
                .add("send to the client", 1, l.get(Limits.PLAIN_SEND));
        // a heal of one lost shard of k+m=4+2 reads k shards' bytes to rebuild one: 1/4 B written per B read
        double rebuilt = 1.0 / 4;
        Parts heal = new Parts()
                .add("nodes: O_DIRECT read", 1, l.get(Limits.SHARD_READS))
                .add("CRC32C", 1, crc)
                .add("TLS send", 1, l.dataPortTlsSend())
                .add("coordinator: TLS receive", 1, l.dataPortTlsReceive())
                .add("RS decode 4+2", 1, 1 / l.get("RS decode 4+2 (2 lost)"))
                .add("TLS send", rebuilt, l.dataPortTlsSend())
                .add("new node: TLS receive", rebuilt, l.dataPortTlsReceive())
                .add("CRC32C", rebuilt, crc)
                .add("O_DIRECT write + fsync", rebuilt, l.get(Limits.SHARD_WRITES));
        if (put.complete()) out.add(put.floor(PUT));
        if (get.complete()) out.add(get.floor(GET));
        if (heal.complete()) out.add(heal.floor(HEAL));
        return out;
    }

    /** The steps of one path: each a cost per byte it handles times the bytes it handles per payload byte. */
    private static final class Parts {
        private final StringBuilder how = new StringBuilder();
        private final List<Row> rows = new ArrayList<>();
        private double total;
        private boolean complete = true;

        /** The steps added next are done by {@code kinds} of {@code role}'s threads. */
        Parts row(String label, String role, String... kinds) {
            rows.add(new Row(label, role, List.of(kinds), 0));
            return this;
        }

        Parts add(String step, double bytesPerByte, double secondsPerGb) {
            if (Double.isNaN(secondsPerGb) || Double.isInfinite(secondsPerGb)) complete = false;
            double s = bytesPerByte * secondsPerGb;
            total += s;
            if (!rows.isEmpty()) {
                Row r = rows.removeLast();
                rows.add(new Row(r.label(), r.role(), r.kinds(), r.seconds() + s));
            }
            if (!how.isEmpty()) how.append(", ");
            how.append(step).append(String.format(Locale.ROOT, " %.3f", s));
            if (bytesPerByte != 1) how.append(String.format(Locale.ROOT, " (%.2f B per B)", bytesPerByte));
            return this;
        }

        boolean complete() {
            return complete;
        }

        Floor floor(String name) {
            return new Floor(name, total, "sum of the limits above, 4+2, cluster TLS, server side only: " + how, rows);
        }
    }
}
