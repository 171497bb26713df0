package io.basalt.core.data;

import io.basalt.core.cluster.Membership;
import io.basalt.core.cluster.NodeSuspicion;
import io.basalt.core.data.SegmentEncoder.QuorumWrite;
import io.basalt.core.data.SegmentEncoder.Trailing;
import io.basalt.core.placement.InsufficientNodesException;
import io.basalt.core.placement.Placement;
import io.basalt.core.shard.BufferSink;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardWriteException;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Object bytes in and out of the storage nodes: places and writes new shard sets, reads
 * ranges of objects that span one or more segments. Knows nothing of HTTP or S3.
 */
public final class DataPath {

    private static final Logger log = LogManager.getLogger(DataPath.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A shard stream silent this long is given up for another shard (reads) or dropped (writes). */
    static final long HEDGE_MS = 3_000;

    private final Membership membership;
    private final NodeSuspicion suspicion = new NodeSuspicion(30_000);
    private final TailCounters tails = new TailCounters();
    private final Layouts layouts;
    private final SegmentEncoder encoder;
    private final SegmentDecoder decoder;
    private final CopyReader copies;

    private final int writeQuorum;
    private final int smallWriteQuorum;
    private final BodyMemory bodyMemory;

    /** @param writeQuorum durable shards a write needs; 0 for the default, k+1 (k when m = 1) */
    public DataPath(
            Membership membership, ShardClients clients, ErasureLayout layout, int writeQuorum, long ioTimeoutMs) {
        this(membership, clients, new Layouts(layout, 0), writeQuorum, ioTimeoutMs);
    }

    /**
     * @param writeQuorum durable shards a write of the normal layout needs; 0 for the default, k+1
     *                    (k when m = 1). Small objects need as many beyond their one data shard as
     *                    that is beyond k, so both survive the same number of losses right after the
     *                    acknowledgement: 2 of 3 copies for the default.
     */
    public DataPath(Membership membership, ShardClients clients, Layouts layouts, int writeQuorum, long ioTimeoutMs) {
        this(membership, clients, layouts, writeQuorum, ioTimeoutMs, BodyMemory.unlimited());
    }

    /** As above, with writes holding at most {@code bodyMemory} of bodies in memory at once. */
    public DataPath(
            Membership membership,
            ShardClients clients,
            Layouts layouts,
            int writeQuorum,
            long ioTimeoutMs,
            BodyMemory bodyMemory) {
        this.bodyMemory = bodyMemory;
        this.membership = membership;
        this.layouts = layouts;
        ErasureLayout layout = layouts.normal();
        this.writeQuorum = writeQuorum > 0 ? writeQuorum : defaultQuorum(layout);
        int n = layout.getK() + layout.getM();
        if (this.writeQuorum < layout.getK() || this.writeQuorum > n) {
            throw new IllegalArgumentException(
                    "write quorum " + this.writeQuorum + " outside k.." + n + " = " + layout.getK() + ".." + n);
        }
        this.smallWriteQuorum = layouts.small().getK() + (this.writeQuorum - layout.getK());
        long hedgeMs = Math.min(ioTimeoutMs, HEDGE_MS);
        this.encoder = new SegmentEncoder(
                clients,
                hedgeMs,
                ioTimeoutMs,
                suspicion::failed,
                node -> {
                    tails.shardDroppedLate();
                    suspicion.late(node);
                },
                suspicion::onTime);
        encoder.onWaitPastQuorum(tails::waitedPastQuorum);
        encoder.onShardKeptLate(node -> {
            tails.shardKeptLate();
            suspicion.late(node);
        });
        this.decoder = new SegmentDecoder(clients, membership::live, hedgeMs);
        this.copies = new CopyReader(clients, membership::live, hedgeMs);
    }

    /** The budget of request-body bytes writes hold in memory, for the gateway's metrics. */
    public BodyMemory bodyMemory() {
        return bodyMemory;
    }

    /** The nodes this path avoids for now, having found them failed or late. */
    public NodeSuspicion suspicion() {
        return suspicion;
    }

    /** How often reads and writes went around a slow node, for the gateway's metrics. */
    public TailCounters tails() {
        return tails;
    }

    /** Durable shards a write of the normal layout needs. */
    public int writeQuorum() {
        return writeQuorum;
    }

    /** Durable shards a write of {@code layout}, one of this path's two, needs. */
    int writeQuorum(ErasureLayout layout) {
        return layout.equals(layouts.normal()) ? writeQuorum : smallWriteQuorum;
    }

    static int defaultQuorum(ErasureLayout layout) {
        return layout.getK() + (layout.getM() > 1 ? 1 : 0);
    }

    /** A fresh random id naming a shard set (and the object version it holds). */
    public static String newShardSetId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Encodes {@code body}, of unknown length, to its end onto k+m live nodes; returns once a write quorum is durable. */
    public Segment write(InputStream body) throws IOException {
        return write(body, -1);
    }

    /**
     * Encodes {@code body} to its end onto the live nodes, in the layout its declared length calls
     * for ({@link Layouts#forSize}); returns once a write quorum of shards is durable.
     *
     * @param declaredSize the body's length as its sender declared it before sending, -1 if unknown
     */
    public Segment write(InputStream body, long declaredSize) throws IOException {
        return write(body, declaredSize, false).segment();
    }

    /**
     * As {@link #write(InputStream, long)}, returning as soon as a write quorum is durable, so the
     * caller can commit the record while the other shards finish; it must then await them
     * ({@link QuorumWrite#trailing}), which also releases the body memory the write held.
     */
    public QuorumWrite writeToQuorum(InputStream body, long declaredSize) throws IOException {
        return write(body, declaredSize, true);
    }

    private QuorumWrite write(InputStream body, long declaredSize, boolean overlap) throws IOException {
        ErasureLayout layout = layouts.forSize(declaredSize);
        int writeQuorum = writeQuorum(layout);
        String shardSet = newShardSetId();
        int n = layout.getK() + layout.getM();
        // Nodes that just failed are skipped while a quorum and a spare remain without them: a frozen
        // node would otherwise cost every PUT the grace. Nodes being drained, and nodes whose every
        // disk failed, take no new shards.
        Collection<NodeRecord> candidates = suspicion.preferHealthy(
                membership.writable().values().stream()
                        .filter(Placement::writable)
                        .toList(),
                NodeRecord::getNodeId,
                writeQuorum,
                n);
        if (candidates.size() < writeQuorum) throw new InsufficientNodesException(writeQuorum, candidates.size());
        // With fewer than k+m nodes the last shards get no node: they are written by healing.
        List<NodeRecord> targets =
                new ArrayList<>(Placement.choose(shardSet, candidates, Math.min(n, candidates.size())));
        while (targets.size() < n) targets.add(null);
        long share = BodyMemory.shareOf(declaredSize, layout.getBlockSize(), layout.getK(), layout.getM());
        BodyMemory.Reservation held = bodyMemory.reserve(share);
        QuorumWrite w;
        try {
            w = overlap
                    ? encoder.writeToQuorum(shardSet, body, layout, targets, writeQuorum)
                    : new QuorumWrite(encoder.write(shardSet, body, layout, targets, writeQuorum), Trailing.NONE);
        } catch (ShardWriteException e) {
            held.close();
            if (e.forWantOfRoom()) throw new StorageFullException(e.getMessage(), e);
            throw new StorageUnavailableException(e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            held.close();
            throw e;
        }
        if (w.trailing() == Trailing.NONE) {
            held.close();
            return w;
        }
        // the trailing streams' queued chunks are the body's memory until they end
        return new QuorumWrite(w.segment(), new Trailing() {
            @Override
            public List<Integer> await() {
                try (held) {
                    return w.trailing().await();
                }
            }

            /** Past the grace only while the budget of writes answered already has room for this one. */
            @Override
            public List<Integer> awaitAfterAnswer() {
                // the body is read and encoded: the chunks queued to the streams still out are all it may hold
                long queued = Math.min(
                        share / n * w.trailing().nodesStillOut().size(),
                        w.trailing().bytesStillOut());
                BodyMemory.Reservation lingering = bodyMemory.tryLinger(queued);
                if (lingering == null) {
                    held.shrinkTo(queued);
                    return await();
                }
                held.close(); // counted in the lingering budget instead, leaving this one to writes clients wait on
                try (lingering) {
                    return w.trailing().awaitAfterAnswer();
                }
            }

            @Override
            public long bytesStillOut() {
                return w.trailing().bytesStillOut();
            }

            @Override
            public List<String> nodesStillOut() {
                return w.trailing().nodesStillOut();
            }
        });
    }

    /**
     * Awaits a committed write's trailing shards and hands those left behind to {@code leftBehind}: here, or, when
     * every shard still out is on a node that reads now go around (suspected, or late a moment ago), on a thread of
     * its own, so that the caller answers its client at once. Such a node has just let shards pass the grace, so
     * waiting for it would most likely cost the client the whole grace for nothing: the quorum is durable and the
     * record committed either way. The wait still happens, longer than the grace while the body memory such waits
     * may hold has room ({@link BodyMemory#tryLinger}; {@link Trailing#awaitAfterAnswer}), so a node paused for a
     * moment still writes its shard and costs no heal; a shard it misses is queued for healing as before (the orphan
     * sweep finds it should this process stop first). Meanwhile the write holds what its trailing streams were sent
     * alone.
     */
    public void settle(Trailing trailing, Consumer<List<Integer>> leftBehind) {
        List<String> out = trailing.nodesStillOut();
        if (out.isEmpty() || !out.stream().allMatch(suspicion::avoidForReads)) {
            report(trailing.await(), leftBehind);
            return;
        }
        tails.writeSettledAfterAnswer();
        Settlers.EXECUTOR.execute(() -> {
            try {
                report(trailing.awaitAfterAnswer(), leftBehind);
            } catch (RuntimeException e) { // no caller left to tell: the orphan sweep finds what was not queued
                log.warn("trailing shards of a write answered already: {}", e.toString());
            }
        });
    }

    private static void report(List<Integer> shards, Consumer<List<Integer>> leftBehind) {
        if (!shards.isEmpty()) leftBehind.accept(shards);
    }

    /** As {@link #read(ObjectRecord, long, long, BufferSink, BiConsumer)}, copying into a stream. */
    public void read(
            ObjectRecord object, long offset, long length, OutputStream out, BiConsumer<Segment, Integer> onCorrupt)
            throws IOException {
        read(object, offset, length, BufferSink.of(out), onCorrupt);
    }

    /**
     * Writes bytes [offset, offset+length) of an object to {@code out}; shards found corrupt on
     * the way are reported to {@code onCorrupt} (their bytes are never served).
     */
    public void read(
            ObjectRecord object, long offset, long length, BufferSink out, BiConsumer<Segment, Integer> onCorrupt)
            throws IOException {
        ShardProblems problems = new ShardProblems() {
            @Override
            public void nodeFailed(String nodeId) {
                suspicion.failed(nodeId);
            }

            @Override
            public void corruptShard(Segment segment, int shard) {
                onCorrupt.accept(segment, shard);
            }

            @Override
            public void hedged(String slowNodeId, boolean won) {
                tails.hedged(won);
                if (won) suspicion.late(slowNodeId);
            }

            @Override
            public void onTime(String nodeId) {
                suspicion.onTime(nodeId);
            }

            @Override
            public boolean suspect(String nodeId) {
                return suspicion.avoidForReads(nodeId);
            }
        };
        long segStart = 0;
        long end = offset + length;
        for (Segment seg : object.getSegmentsList()) {
            long segEnd = segStart + seg.getSize();
            if (segEnd > offset && segStart < end) {
                long from = Math.max(offset, segStart) - segStart;
                long to = Math.min(end, segEnd) - segStart;
                if (CopyReader.applies(seg)) copies.read(seg, from, to - from, out, problems);
                else decoder.read(seg, from, to - from, out, problems);
            }
            if (segEnd >= end) break;
            segStart = segEnd;
        }
    }

    /** Best-effort removal of shard sets that never became visible; GC catches what this misses. */
    public void discard(Segment seg) {
        Map<String, NodeRecord> live = membership.live();
        List<NodeRecord> nodes = new ArrayList<>();
        for (String id : seg.getNodeIdsList()) nodes.add(live.get(id)); // null: not live, left to GC
        encoder.deleteQuietly(seg.getShardSet(), nodes);
    }
}
