package io.basalt.core.data;

import io.basalt.core.cluster.AdaptiveDelay;
import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.shard.BufferSink;
import io.basalt.core.shard.RemoteShardReader;
import io.basalt.core.shard.ShardBytes;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardReadException;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Reads a byte range of a segment with one data shard (k = 1): Reed-Solomon with one data shard
 * makes every parity shard a byte-for-byte copy of it, and the data shard holds the segment's
 * bytes at their own offsets, so any one shard serves any range alone and nothing is decoded.
 * It asks one copy; a second only when the first fails, or has not answered within the
 * {@link AdaptiveDelay#hedge}, and then keeps whichever answers first and cancels the other. A copy
 * that fails part way is replaced by the next at the byte where it stopped.
 */
final class CopyReader {

    private static final Logger log = LogManager.getLogger(CopyReader.class);

    private final ShardClients clients;
    private final Supplier<Map<String, NodeRecord>> liveNodes;
    private final long idleTimeoutMs;
    private final AdaptiveDelay hedge = AdaptiveDelay.hedge();

    CopyReader(ShardClients clients, Supplier<Map<String, NodeRecord>> liveNodes, long idleTimeoutMs) {
        this.clients = clients;
        this.liveNodes = liveNodes;
        this.idleTimeoutMs = idleTimeoutMs;
    }

    static boolean applies(Segment seg) {
        return seg.getLayout().getK() == 1;
    }

    /** Writes bytes [offset, offset+length) of the segment to {@code out}. */
    void read(Segment seg, long offset, long length, BufferSink out, ShardProblems problems) throws IOException {
        if (length <= 0) return;
        StripeLayout layout = StripeLayout.of(seg.getLayout(), seg.getSize());
        long to = offset + length;
        if (offset < 0 || to > layout.size()) throw new IllegalArgumentException("range outside segment");
        Map<String, NodeRecord> live = liveNodes.get();
        Deque<Integer> untried = candidates(seg, live, problems);
        List<ByteBuffer> views = new ArrayList<>();
        long pos = offset;
        while (pos < to) {
            Copy copy = first(seg, live, untried, pos, to, layout, problems);
            try {
                ShardBytes piece = copy.firstPiece;
                while (true) {
                    views.clear();
                    piece.slice(0, piece.length(), views);
                    out.write(views.toArray(ByteBuffer[]::new));
                    pos += piece.length();
                    if (pos >= to) break;
                    try {
                        piece = copy.stream.take(pieceLength(layout, pos, to));
                    } catch (IOException e) {
                        fail(seg, copy.shard, e, problems); // the next copy goes on from pos
                        break;
                    }
                }
            } finally {
                copy.stream.close();
            }
        }
    }

    /** A stripe at a time, as the node stores and sends it (one stored chunk per message at most). */
    private static int pieceLength(StripeLayout layout, long pos, long to) {
        long stripeEnd = layout.stripeStart(layout.stripeOfOffset(pos)) + layout.blockSize();
        return (int) (Math.min(to, stripeEnd) - pos);
    }

    /** Shards that may serve the read, in the order to ask them: recently failed nodes last. */
    private static Deque<Integer> candidates(Segment seg, Map<String, NodeRecord> live, ShardProblems problems) {
        Deque<Integer> healthy = new ArrayDeque<>(), suspects = new ArrayDeque<>();
        for (int i = 0; i < seg.getNodeIdsCount(); i++) {
            String node = seg.getNodeIds(i);
            if (seg.getMissingShardsList().contains(i) || !live.containsKey(node)) continue;
            (problems.suspect(node) ? suspects : healthy).add(i);
        }
        healthy.addAll(suspects);
        return healthy;
    }

    /** A copy asked for the range, not yet answered. */
    private record Asked(int shard, RemoteShardReader stream, long askedNanos) {}

    /** The copy that answered first, with the first bytes it served. */
    private record Copy(int shard, RemoteShardReader stream, ShardBytes firstPiece) {}

    /**
     * The first copy to serve the first bytes of [pos, to): asks one, and a second when the hedge
     * delay passes without an answer; a copy that answers with an error, or stays silent for the
     * idle timeout, is reported and the next untried one asked. The copies not chosen are cancelled.
     */
    private Copy first(
            Segment seg,
            Map<String, NodeRecord> live,
            Deque<Integer> untried,
            long pos,
            long to,
            StripeLayout layout,
            ShardProblems problems)
            throws IOException {
        List<Asked> asked = new ArrayList<>(2);
        Asked hedgedFrom = null; // the copy that was too slow, once a second one was asked
        try {
            while (true) {
                if (asked.isEmpty()) {
                    if (untried.isEmpty()) {
                        throw new IOException("segment " + seg.getShardSet() + " unreadable: no copy left to read");
                    }
                    asked.add(ask(seg, live, untried.poll(), pos, to));
                }
                boolean mayHedge = asked.size() < 2 && !untried.isEmpty();
                long waitNanos = mayHedge
                        ? hedge.nanos()
                        : TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs)
                                - (System.nanoTime() - asked.getFirst().askedNanos);
                Asked answered = awaitAny(asked, Math.max(0, waitNanos));
                if (answered == null) {
                    if (mayHedge) {
                        hedgedFrom = asked.getFirst();
                        asked.add(ask(seg, live, untried.poll(), pos, to)); // a second copy beside the first
                    } else {
                        Asked silent = asked.removeFirst();
                        silent.stream.close();
                        fail(seg, silent.shard, new IOException("sent nothing for " + idleTimeoutMs + " ms"), problems);
                    }
                    continue;
                }
                asked.remove(answered);
                try {
                    ShardBytes piece = answered.stream.take(pieceLength(layout, pos, to));
                    hedge.record(System.nanoTime() - answered.askedNanos);
                    if (hedgedFrom != null) problems.hedged(seg.getNodeIds(hedgedFrom.shard), answered != hedgedFrom);
                    else problems.onTime(seg.getNodeIds(answered.shard));
                    return new Copy(answered.shard, answered.stream, piece);
                } catch (IOException e) {
                    answered.stream.close();
                    fail(seg, answered.shard, e, problems);
                }
            }
        } finally {
            for (Asked loser : asked) {
                settle(seg, loser, problems);
                untried.addFirst(loser.shard); // merely slower: still there should the winner fail later
            }
        }
    }

    /**
     * A copy raced and not kept: cancelled once it answers (or at the idle timeout), off the read's
     * thread. Its answer is still looked at, so a lost copy that a hedge outran is reported for
     * healing like one the read waited for, instead of being left to the scrubber.
     */
    private void settle(Segment seg, Asked loser, ShardProblems problems) {
        RemoteShardReader stream = loser.stream;
        stream.answered()
                .copy()
                .completeOnTimeout(null, idleTimeoutMs, TimeUnit.MILLISECONDS)
                .thenRunAsync(
                        () -> {
                            try {
                                if (stream.answeredLost()) problems.corruptShard(seg, loser.shard);
                            } finally {
                                stream.close();
                            }
                        },
                        Settlers.EXECUTOR); // reporting a lost copy is an etcd write
    }

    private Asked ask(Segment seg, Map<String, NodeRecord> live, int shard, long pos, long to) {
        String nodeId = seg.getNodeIds(shard);
        RemoteShardReader stream = RemoteShardReader.open(
                clients,
                live.get(nodeId),
                SegmentEncoder.shardId(seg.getShardSet(), shard),
                pos,
                to - pos,
                idleTimeoutMs,
                ReadWindow.messages(seg.getLayout().getBlockSize(), 1, to - pos));
        return new Asked(shard, stream, System.nanoTime());
    }

    /** The first of {@code asked} whose node answered within {@code nanos}, or null. */
    private static Asked awaitAny(List<Asked> asked, long nanos) throws IOException {
        CompletableFuture<?>[] futures =
                asked.stream().map(c -> c.stream.answered()).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.anyOf(futures).get(nanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // answered() never completes exceptionally
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        for (Asked c : asked) if (c.stream.answered().isDone()) return c;
        return null;
    }

    private static void fail(Segment seg, int shard, Throwable e, ShardProblems problems) {
        boolean lost = e instanceof ShardReadException sre && sre.lost();
        if (lost) problems.corruptShard(seg, shard);
        else problems.nodeFailed(seg.getNodeIds(shard));
        log.warn(
                "copy {} of {} on {}{}: {}",
                shard,
                seg.getShardSet(),
                seg.getNodeIds(shard),
                lost ? " is corrupt or missing" : " failed",
                e.getMessage());
    }
}
