package io.basalt.core.data;

import io.basalt.core.erasure.ReedSolomon;
import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.shard.RemoteShardReader;
import io.basalt.core.shard.ShardBytes;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardReadException;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Reads a run of stripes of a segment, in order, from any k of its shards. It starts on the
 * data shards (so the happy path decodes nothing); a shard that is missing, unreachable or
 * corrupt is dropped and the next untried shard is opened at the current stripe. A shard that
 * sends nothing for {@code idleTimeoutMs} counts as failed: that short deadline is the hedge
 * that keeps a frozen node from stalling every read for the full I/O timeout.
 */
final class StripeReader implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(StripeReader.class);

    private final ShardClients clients;
    private final Map<String, NodeRecord> live;
    private final Segment seg;
    private final StripeLayout layout;
    private final long idleTimeoutMs;
    private final ShardProblems problems;
    private final int k, n;
    private final RemoteShardReader[] streams;
    private final boolean[] failed;
    private final long rangeEndInShard;
    private final ReedSolomon rs;
    private byte[][] decoded; // allocated on the first stripe that needs decoding

    /** @param excluded shards never to read (being rebuilt, or known bad); may be empty */
    StripeReader(
            ShardClients clients,
            Map<String, NodeRecord> live,
            Segment seg,
            long firstStripe,
            long lastStripe,
            long idleTimeoutMs,
            ShardProblems problems,
            int... excluded) {
        this.clients = clients;
        this.live = live;
        this.seg = seg;
        this.layout = StripeLayout.of(seg.getLayout(), seg.getSize());
        this.idleTimeoutMs = idleTimeoutMs;
        this.problems = problems;
        this.k = layout.k();
        this.n = layout.totalShards();
        this.streams = new RemoteShardReader[n];
        this.failed = new boolean[n];
        this.rangeEndInShard = layout.shardOffset(lastStripe) + layout.chunkLength(lastStripe);
        this.rs = ReedSolomon.create(k, layout.m());
        for (int i : seg.getMissingShardsList()) failed[i] = true;
        for (int i : excluded) failed[i] = true;
        // Start on the first k usable shards (data shards first: no decoding), avoiding
        // recently failed nodes while enough others remain.
        int opened = 0;
        for (boolean allowSuspects : new boolean[] {false, true}) {
            for (int i = 0; i < n && opened < k; i++) {
                if (failed[i] || streams[i] != null) continue;
                if (!allowSuspects && problems.suspect(seg.getNodeIds(i))) continue;
                open(i, firstStripe);
                if (streams[i] != null) opened++;
            }
        }
    }

    /**
     * Reads stripe {@code s} and reconstructs into {@code chunks} every shard it did not read.
     * @return the stripe's chunk length
     */
    int read(long s, byte[][] chunks) throws IOException {
        return read(s, chunks, null);
    }

    /** As {@link #read(long, byte[][])}, adding the wait and the decoding to {@code steps} (may be null). */
    int read(long s, byte[][] chunks, HealSteps steps) throws IOException {
        int chunkLen = layout.chunkLength(s);
        long t0 = System.nanoTime();
        ShardBytes[] got = gather(s, chunkLen);
        long t1 = System.nanoTime();
        boolean[] present = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (got[i] == null) continue;
            got[i].copyTo(chunks[i], 0);
            present[i] = true;
        }
        rs.reconstruct(chunks, present, 0, chunkLen);
        if (steps != null) {
            steps.addNanos(HealSteps.Step.READ, t1 - t0);
            steps.add(HealSteps.Step.DECODE, t1);
        }
        return chunkLen;
    }

    /**
     * The k data chunks of stripe {@code s}, each the stripe's chunk length: the
     * received messages themselves when every data shard answered (no copy), else decoded from
     * parity into arrays of this reader, which the next call overwrites.
     */
    ShardBytes[] readData(long s) throws IOException {
        int chunkLen = layout.chunkLength(s);
        ShardBytes[] got = gather(s, chunkLen);
        boolean decode = false;
        for (int i = 0; i < k; i++) decode |= got[i] == null;
        if (!decode) return Arrays.copyOf(got, k);
        if (decoded == null) decoded = new byte[n][layout.chunkSize()];
        boolean[] present = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (got[i] == null) continue;
            got[i].copyTo(decoded[i], 0);
            present[i] = true;
        }
        rs.reconstructData(decoded, present, 0, chunkLen);
        ShardBytes[] data = new ShardBytes[k];
        for (int i = 0; i < k; i++) data[i] = ShardBytes.of(decoded[i], chunkLen);
        return data;
    }

    /** k chunks of stripe {@code s} from k distinct shards, indexed by shard; the rest null. */
    private ShardBytes[] gather(long s, int chunkLen) throws IOException {
        ShardBytes[] got = new ShardBytes[n];
        int have = 0;
        while (have < k) {
            int i = nextOpenUnread(got);
            if (i < 0) i = openReplacement(s);
            if (i < 0) {
                throw new IOException("segment " + seg.getShardSet() + " unreadable: only " + have + " of the " + k
                        + " shards needed are available");
            }
            try {
                got[i] = streams[i].take(chunkLen);
                have++;
            } catch (IOException e) {
                fail(i, e);
            }
        }
        return got;
    }

    private int nextOpenUnread(ShardBytes[] got) {
        for (int i = 0; i < n; i++) if (streams[i] != null && got[i] == null) return i;
        return -1;
    }

    private int openReplacement(long s) {
        for (boolean allowSuspects : new boolean[] {false, true}) {
            for (int i = 0; i < n; i++) {
                if (streams[i] != null || failed[i]) continue;
                if (!allowSuspects && problems.suspect(seg.getNodeIds(i))) continue;
                open(i, s);
                if (streams[i] != null) return i;
            }
        }
        return -1;
    }

    private void open(int i, long stripe) {
        String nodeId = seg.getNodeIds(i);
        NodeRecord node = live.get(nodeId);
        if (node == null) {
            failed[i] = true;
            log.debug("shard {} of {}: node {} not live", i, seg.getShardSet(), nodeId);
            return;
        }
        long start = layout.shardOffset(stripe);
        streams[i] = RemoteShardReader.open(
                clients,
                nodeId,
                node.getAddress(),
                SegmentEncoder.shardId(seg.getShardSet(), i),
                start,
                rangeEndInShard - start,
                idleTimeoutMs,
                ReadWindow.messages(layout.chunkSize(), k, rangeEndInShard - start));
    }

    private void fail(int i, IOException e) {
        failed[i] = true;
        streams[i].close();
        streams[i] = null;
        // a corrupt or missing shard on a node that answers is reported for healing (a GC'd shard of an
        // overwritten version is reported too; the healer drops what no record references)
        boolean lost = e instanceof ShardReadException sre && sre.lost();
        if (lost) problems.corruptShard(seg, i);
        else problems.nodeFailed(seg.getNodeIds(i));
        log.warn(
                "shard {} of {} on {}{}: {}",
                i,
                seg.getShardSet(),
                seg.getNodeIds(i),
                lost ? " is corrupt or missing" : " failed",
                e.getMessage());
    }

    @Override
    public void close() {
        for (RemoteShardReader s : streams) if (s != null) s.close();
    }
}
