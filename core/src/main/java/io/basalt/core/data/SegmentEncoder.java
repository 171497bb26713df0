package io.basalt.core.data;

import io.basalt.core.erasure.ReedSolomon;
import io.basalt.core.shard.RemoteShardWriter;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardWriteException;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Streams a body into k+m shards: reads one stripe at a time, encodes its parity and sends
 * chunk i to shard i's node, so memory stays at a stripe or two whatever the object size.
 * Returns only once every shard is durable on its node.
 */
public final class SegmentEncoder {

    private static final Logger log = LogManager.getLogger(SegmentEncoder.class);

    private static final int FIRST_READ = 64 << 10;

    private final ShardClients clients;
    private final long stallTimeoutMs;
    private final long ackTimeoutMs;
    private final Consumer<String> nodeFailed;

    /**
     * @param stallTimeoutMs how long one shard stream may refuse data before it is dropped (the
     *                       write goes on if the quorum remains): short, so a frozen node costs seconds
     * @param ackTimeoutMs   how long to wait for a node's fsync-and-rename acknowledgement
     */
    public SegmentEncoder(ShardClients clients, long stallTimeoutMs, long ackTimeoutMs, Consumer<String> nodeFailed) {
        this.clients = clients;
        this.stallTimeoutMs = stallTimeoutMs;
        this.ackTimeoutMs = ackTimeoutMs;
        this.nodeFailed = nodeFailed;
    }

    public static String shardId(String shardSet, int index) {
        return shardSet + "." + index;
    }

    /**
     * @param targets     node i receives shard i; k+m entries, null where no node was available
     * @param writeQuorum the fewest durable shards that make the write succeed (at least k)
     */
    public Segment write(
            String shardSet, InputStream in, ErasureLayout layout, List<NodeRecord> targets, int writeQuorum)
            throws IOException {
        int k = layout.getK(), m = layout.getM(), n = k + m;
        if (targets.size() != n) throw new IllegalArgumentException("need " + n + " targets, got " + targets.size());
        if (writeQuorum < k || writeQuorum > n)
            throw new IllegalArgumentException("write quorum " + writeQuorum + " outside " + k + ".." + n);
        ReedSolomon rs = ReedSolomon.create(k, m);
        MessageDigest md5 = md5();
        int blockSize = layout.getBlockSize();
        Fanout fanout = null;
        long size = 0;
        try {
            while (true) {
                byte[] stripe = new byte[fanout == null ? Math.min(blockSize, FIRST_READ) : blockSize];
                int len = in.readNBytes(stripe, 0, stripe.length);
                if (len == stripe.length && stripe.length < blockSize) {
                    // Small bodies are common (Milvus stats logs): only grow to a full stripe when needed.
                    stripe = Arrays.copyOf(stripe, blockSize);
                    len += in.readNBytes(stripe, len, blockSize - len);
                }
                if (len == 0) break;
                md5.update(stripe, 0, len);
                if (fanout == null) fanout = new Fanout(shardSet, targets, Math.ceilDiv(blockSize, k), writeQuorum);
                int chunk = Math.ceilDiv(len, k);
                byte[][] shards = new byte[n][chunk];
                for (int i = 0; i < k; i++) {
                    int from = i * chunk;
                    if (from < len) System.arraycopy(stripe, from, shards[i], 0, Math.min(chunk, len - from));
                }
                rs.encode(shards, 0, chunk);
                for (int i = 0; i < n; i++) fanout.write(i, shards[i], chunk);
                size += len;
                if (len < blockSize) break;
            }
            Segment.Builder seg = Segment.newBuilder()
                    .setShardSet(shardSet)
                    .setSize(size)
                    .setLayout(layout)
                    .setMd5Hex(HexFormat.of().formatHex(md5.digest()));
            if (fanout != null) fanout.finish(seg);
            return seg.build();
        } catch (IOException | RuntimeException e) {
            if (fanout != null) fanout.abort();
            throw e;
        }
    }

    /**
     * The k+m shard streams of one segment. A stream that fails is dropped and its shard
     * marked missing; the write fails only when fewer than the quorum would remain.
     */
    private final class Fanout {
        private final String shardSet;
        private final List<NodeRecord> targets;
        private final RemoteShardWriter[] writers;
        private final int quorum;

        Fanout(String shardSet, List<NodeRecord> targets, int chunkSize, int quorum) throws ShardWriteException {
            this.shardSet = shardSet;
            this.targets = targets;
            this.quorum = quorum;
            this.writers = new RemoteShardWriter[targets.size()];
            for (int i = 0; i < writers.length; i++) {
                NodeRecord node = targets.get(i);
                if (node != null) {
                    writers[i] = RemoteShardWriter.open(
                            clients,
                            node.getNodeId(),
                            node.getAddress(),
                            shardId(shardSet, i),
                            chunkSize,
                            stallTimeoutMs);
                }
            }
            checkQuorum(null);
        }

        void write(int i, byte[] data, int len) throws ShardWriteException {
            if (writers[i] == null) return;
            try {
                writers[i].write(data, len);
            } catch (IOException e) {
                drop(i, e);
            }
        }

        /** Waits for every stream's acknowledgement and records where each shard is, or that it is missing. */
        void finish(Segment.Builder seg) throws ShardWriteException {
            int[] crcs = new int[writers.length];
            for (int i = 0; i < writers.length; i++) {
                if (writers[i] == null) continue;
                try {
                    writers[i].complete(); // all nodes fsync at once, not one after another
                } catch (IOException e) {
                    drop(i, e);
                }
            }
            awaitAcks(crcs);
            for (int i = 0; i < writers.length; i++) {
                NodeRecord node = targets.get(i);
                seg.addNodeIds(node == null ? "" : node.getNodeId()).addShardCrc32C(crcs[i]);
                if (writers[i] == null) seg.addMissingShards(i);
            }
        }

        /**
         * Takes acknowledgements in the order they come. Once a quorum is durable, the streams
         * still out (a frozen or slow node) get only the stall timeout: their shards are then
         * recorded missing and healed, not waited for.
         */
        private void awaitAcks(int[] crcs) throws ShardWriteException {
            List<Integer> pending = new ArrayList<>();
            for (int i = 0; i < writers.length; i++) if (writers[i] != null) pending.add(i);
            int acked = 0;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ackTimeoutMs);
            boolean quorumMet = false;
            while (!pending.isEmpty()) {
                if (!quorumMet && acked >= quorum) {
                    quorumMet = true;
                    deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs);
                }
                CompletableFuture<?>[] waiting =
                        pending.stream().map(i -> writers[i].durable()).toArray(CompletableFuture[]::new);
                boolean timedOut = false;
                try {
                    CompletableFuture.anyOf(waiting)
                            .get(Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    timedOut = true;
                } catch (ExecutionException e) {
                    // a stream failed: dropped with the others below
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ShardWriteException("interrupted while waiting for shard acknowledgements", e);
                }
                for (Iterator<Integer> it = pending.iterator(); it.hasNext(); ) {
                    int i = it.next();
                    if (!timedOut && !writers[i].durable().isDone()) continue;
                    it.remove();
                    try {
                        crcs[i] = writers[i].awaitDurable(0).getCrc32C(); // not done: times out and cancels
                        acked++;
                    } catch (IOException e) {
                        drop(i, e);
                    }
                }
            }
        }

        void abort() {
            for (RemoteShardWriter w : writers) if (w != null) w.abort("upload failed");
            deleteQuietly(shardSet, targets);
        }

        private void drop(int i, IOException cause) throws ShardWriteException {
            RemoteShardWriter w = writers[i];
            writers[i] = null;
            w.abort("dropped");
            nodeFailed.accept(w.nodeId());
            log.warn(
                    "shard {} of {} on {} failed, continuing without it: {}",
                    i,
                    shardSet,
                    w.nodeId(),
                    cause.getMessage());
            checkQuorum(cause);
        }

        private void checkQuorum(IOException cause) throws ShardWriteException {
            int alive = 0;
            for (RemoteShardWriter w : writers) if (w != null) alive++;
            if (alive < quorum) {
                throw new ShardWriteException(
                        "only " + alive + " of " + writers.length + " shards writable, below the write quorum of "
                                + quorum,
                        cause);
            }
        }
    }

    /**
     * Best effort: whatever is left behind is unreferenced and the coordinator's GC finds it.
     * {@code targets.get(i)} holds shard i; null entries are skipped.
     */
    public void deleteQuietly(String shardSet, List<NodeRecord> targets) {
        for (int i = 0; i < targets.size(); i++) {
            NodeRecord node = targets.get(i);
            if (node == null) continue;
            String id = shardId(shardSet, i);
            clients.async(node.getAddress())
                    .deleteShard(
                            io.basalt.proto.shard.DeleteShardRequest.newBuilder()
                                    .setShardId(id)
                                    .build(),
                            new io.grpc.stub.StreamObserver<>() {
                                @Override
                                public void onNext(io.basalt.proto.shard.DeleteShardResponse value) {}

                                @Override
                                public void onError(Throwable t) {
                                    log.debug(
                                            "could not delete shard {} on {}: {}", id, node.getNodeId(), t.toString());
                                }

                                @Override
                                public void onCompleted() {}
                            });
        }
    }

    static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
