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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Reads a run of stripes of a segment, in order, from any k of its shards. It starts on the
 * data shards (so the happy path decodes nothing); a shard that is missing, unreachable or
 * corrupt is dropped and the next untried shard is opened at the current stripe. A shard that
 * has not sent its chunk of a stripe within the hedge delay gets an untried shard opened beside
 * it, and the first k chunks to arrive make the stripe: a paused node costs a read tens of
 * milliseconds, not the idle timeout after which a silent shard counts as failed. The slower
 * streams are closed after each stripe (they are a stripe behind the rest) and their shards are
 * reopened only when no other is left.
 */
final class StripeReader implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(StripeReader.class);

    private final ShardClients clients;
    private final Map<String, NodeRecord> live;
    private final Segment seg;
    private final StripeLayout layout;
    private final long idleTimeoutMs;
    private final ShardProblems problems;
    private final StripeHedge hedge; // null: never hedge, wait for the idle timeout (heal)
    private final int k, n;
    private final RemoteShardReader[] streams;
    private final boolean[] failed;
    private final boolean[] slow; // lost a stripe to faster shards: read again only when nothing else is left
    private final long[] waitingSince; // when each open stream began to owe the current stripe's chunk
    private final boolean[] hedgedAround; // open streams a hedge was started beside, this stripe
    private final Semaphore arrivals = new Semaphore(0); // released by every stream on each arrival
    private final long rangeEndInShard;
    private final ReedSolomon rs;
    private byte[][] decoded; // allocated on the first stripe that needs decoding

    /**
     * @param hedge when to read another shard beside a slow one; null to wait for the idle timeout
     * @param excluded shards never to read (being rebuilt, or known bad); may be empty
     */
    StripeReader(
            ShardClients clients,
            Map<String, NodeRecord> live,
            Segment seg,
            long lastStripe,
            long idleTimeoutMs,
            ShardProblems problems,
            StripeHedge hedge,
            int... excluded) {
        this.clients = clients;
        this.live = live;
        this.seg = seg;
        this.layout = StripeLayout.of(seg.getLayout(), seg.getSize());
        this.idleTimeoutMs = idleTimeoutMs;
        this.problems = problems;
        this.hedge = hedge;
        this.k = layout.k();
        this.n = layout.totalShards();
        this.streams = new RemoteShardReader[n];
        this.failed = new boolean[n];
        this.slow = new boolean[n];
        this.waitingSince = new long[n];
        this.hedgedAround = new boolean[n];
        this.rangeEndInShard = layout.shardOffset(lastStripe) + layout.chunkLength(lastStripe);
        this.rs = ReedSolomon.create(k, layout.m());
        for (int i : seg.getMissingShardsList()) failed[i] = true;
        for (int i : excluded) failed[i] = true;
    }

    /** Reads {@code shard} only when no other is left: it was too slow for a reader before this one. */
    StripeReader avoiding(int shard) {
        slow[shard] = true;
        return this;
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

    /**
     * k chunks of stripe {@code s} from k distinct shards, indexed by shard; the rest null. The
     * first stripe opens the streams; later ones open a shard only in place of one that failed,
     * or beside one that is slow.
     */
    private ShardBytes[] gather(long s, int chunkLen) throws IOException {
        ShardBytes[] got = new ShardBytes[n];
        long lastProgress = System.nanoTime();
        Arrays.fill(waitingSince, lastProgress);
        Arrays.fill(hedgedAround, false);
        boolean mayHedge = hedge != null, waited = false;
        int have = 0;
        while (have < k) {
            int pending = 0;
            for (int i = 0; i < n; i++) if (streams[i] != null && got[i] == null) pending++;
            while (pending < k - have && openUntried(s) >= 0) pending++;
            if (have + pending < k) {
                throw new IOException("segment " + seg.getShardSet() + " unreadable: only " + (have + pending)
                        + " of the " + k + " shards needed are available");
            }
            arrivals.drainPermits(); // before looking: an arrival after the look leaves a permit
            int i = firstReady(got);
            long now = System.nanoTime();
            if (i >= 0) {
                if (waited && mayHedge) hedge.delay.record(now - lastProgress);
                try {
                    got[i] = streams[i].take(chunkLen);
                    have++;
                    if (!hedgedAround[i]) problems.onTime(seg.getNodeIds(i));
                } catch (IOException e) {
                    fail(i, e);
                }
                lastProgress = now;
                waited = false;
                continue;
            }
            long failAt = Long.MAX_VALUE;
            boolean anyFailed = false;
            for (int j = 0; j < n; j++) {
                if (streams[j] == null || got[j] != null) continue;
                long due = waitingSince[j] + TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
                if (due - now <= 0) {
                    fail(j, new IOException("sent nothing for " + idleTimeoutMs + " ms"));
                    anyFailed = true;
                } else {
                    failAt = Math.min(failAt, due);
                }
            }
            if (anyFailed) continue;
            long hedgeAt = mayHedge && hasUntried() ? lastProgress + hedge.delay.nanos() : Long.MAX_VALUE;
            if (hedgeAt - now <= 0) {
                // counted at the delay itself, as DataRangeReader does: a loaded cluster's tail raises it
                hedge.delay.record(hedge.delay.nanos());
                if (hedge.tryHedge()) hedgeAround(s, got);
                else mayHedge = false;
                lastProgress = now;
                continue;
            }
            waited = true;
            try {
                arrivals.tryAcquire(Math.min(failAt, hedgeAt) - now, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        for (int i = 0; i < n; i++) {
            if (hedgedAround[i]) problems.hedged(seg.getNodeIds(i), got[i] == null);
            if (streams[i] == null || got[i] != null) continue;
            // a stripe behind the others now: never read on, reopened at a later stripe if need be
            streams[i].close();
            streams[i] = null;
            slow[i] = true;
        }
        return got;
    }

    /** Opens an untried shard beside the open streams that owe this stripe's chunk. */
    private void hedgeAround(long s, ShardBytes[] got) {
        List<String> slowNodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (streams[i] == null || got[i] != null) continue;
            hedgedAround[i] = true;
            slowNodes.add(seg.getNodeIds(i));
        }
        int i = openUntried(s);
        if (i >= 0) {
            log.debug(
                    "stripe {} of {}: {} sent nothing in time; reading shard {} beside them",
                    s,
                    seg.getShardSet(),
                    slowNodes,
                    i);
        }
    }

    /** An open stream that owes this stripe's chunk and has it (or its error) at hand, or -1. */
    private int firstReady(ShardBytes[] got) throws IOException {
        for (int i = 0; i < n; i++) if (streams[i] != null && got[i] == null && streams[i].awaitBytes(0)) return i;
        return -1;
    }

    private boolean hasUntried() {
        for (int i = 0; i < n; i++) if (streams[i] == null && !failed[i]) return true;
        return false;
    }

    /**
     * Opens a shard not yet open at stripe {@code s}: data shards before parity, nodes not under
     * suspicion before suspects, and a shard that was too slow before only as the last choice.
     * @return its index, or -1 when none is left
     */
    private int openUntried(long s) {
        for (int pass = 0; pass < 3; pass++) {
            for (int i = 0; i < n; i++) {
                if (streams[i] != null || failed[i]) continue;
                if (pass < 2 && slow[i]) continue;
                if (pass == 0 && problems.suspect(seg.getNodeIds(i))) continue;
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
                node,
                SegmentEncoder.shardId(seg.getShardSet(), i),
                start,
                rangeEndInShard - start,
                idleTimeoutMs,
                ReadWindow.messages(layout.chunkSize(), k, rangeEndInShard - start),
                arrivals::release);
        waitingSince[i] = System.nanoTime();
        if (hedge != null) hedge.opened(1);
    }

    private void fail(int i, IOException e) {
        failed[i] = true;
        hedgedAround[i] = false; // reported as failed, not as slow
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
