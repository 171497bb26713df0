package io.basalt.core.data;

import io.basalt.core.cluster.AdaptiveDelay;
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
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Streams a body into k+m shards: reads one stripe at a time, encodes its parity and sends
 * chunk i to shard i's node, so memory stays at a stripe or two whatever the object size.
 * Returns once a write quorum of shards is durable on their nodes and the rest are durable
 * too or were given up (recorded missing, to be healed); or, for a caller that commits the record
 * meanwhile, once the quorum is durable ({@link #writeToQuorum}).
 */
public final class SegmentEncoder {

    private static final Logger log = LogManager.getLogger(SegmentEncoder.class);

    private static final int FIRST_READ = 64 << 10;

    /**
     * How long past its quorum a write already answered waits for its trailing shards ({@link
     * Trailing#awaitAfterAnswer}), the stall timeout at most: no client waits on it, and a node paused for about
     * this long then writes those shards instead of leaving each one to a heal.
     */
    static final long AFTER_ANSWER_PATIENCE_MS = 3_000;

    /** Hash the stripes of bodies longer than one stripe; each body has at most one stripe queued here. */
    private static final ExecutorService HASHERS = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            Thread.ofPlatform().daemon().name("stripe-hasher-", 0).factory());

    private final ShardClients clients;
    private final long stallTimeoutMs;
    private final long ackTimeoutMs;
    private final Consumer<String> nodeFailed;
    private final Consumer<String> nodeLate;
    private final Consumer<String> nodeOnTime;
    /** Shared by every write through this encoder: it learns the cluster's acknowledgement jitter. */
    private final AdaptiveDelay ackGrace = AdaptiveDelay.ackGrace();
    /** Shared likewise: how long a stream may take no data while the write has shards to spare. */
    private final AdaptiveDelay stallGrace = AdaptiveDelay.stallGrace();
    /** Told, per segment written, how long it waited for the rest of its shards after the quorum was durable. */
    private volatile LongConsumer pastQuorumNanos = nanos -> {};
    /** Told of a node whose shard came past the grace to a write that waited longer, having answered already. */
    private volatile Consumer<String> keptLate = node -> {};

    /**
     * @param stallTimeoutMs how long one shard stream may refuse data before it is dropped (the
     *                       write goes on if the quorum remains): short, so a frozen node costs seconds
     * @param ackTimeoutMs   how long to wait for a node's fsync-and-rename acknowledgement while
     *                       the write has no quorum yet; past the quorum the others get at most the
     *                       adaptive grace (and never more than the stall timeout)
     * @param nodeFailed     told of a node whose stream failed
     * @param nodeLate       told of a node whose shard was dropped for trailing a durable quorum
     * @param nodeOnTime     told of a node whose shard was durable within the grace
     */
    public SegmentEncoder(
            ShardClients clients,
            long stallTimeoutMs,
            long ackTimeoutMs,
            Consumer<String> nodeFailed,
            Consumer<String> nodeLate,
            Consumer<String> nodeOnTime) {
        this.clients = clients;
        this.stallTimeoutMs = stallTimeoutMs;
        this.ackTimeoutMs = ackTimeoutMs;
        this.nodeFailed = nodeFailed;
        this.nodeLate = nodeLate;
        this.nodeOnTime = nodeOnTime;
    }

    /** Where to report each segment's wait past its quorum (for the gateway's metrics). */
    public void onWaitPastQuorum(LongConsumer nanos) {
        this.pastQuorumNanos = nanos;
    }

    /**
     * Where to report a shard durable past the grace and kept, by a write waiting {@link Trailing#awaitAfterAnswer}:
     * its node was late all the same.
     */
    public void onShardKeptLate(Consumer<String> node) {
        this.keptLate = node;
    }

    public static String shardId(String shardSet, int index) {
        return shardSet + "." + index;
    }

    /** Shards still on their way after a write's quorum was durable. */
    public interface Trailing {
        Trailing NONE = new Trailing() {
            @Override
            public List<Integer> await() {
                return List.of();
            }

            @Override
            public List<Integer> awaitAfterAnswer() {
                return List.of();
            }

            @Override
            public List<String> nodesStillOut() {
                return List.of();
            }

            @Override
            public long bytesStillOut() {
                return 0;
            }
        };

        /**
         * Waits for them, the ack grace past the quorum at most; returns the shard indexes left
         * behind (failed, too late, or acknowledged with another CRC than was sent): the segment's
         * record names them, so they must be queued for healing.
         */
        List<Integer> await();

        /**
         * As {@link #await}, for a write whose client has had its answer: it may wait up to {@value
         * #AFTER_ANSWER_PATIENCE_MS} ms past the quorum instead of the grace, so a node that was only paused writes
         * its shard after all. A shard durable past the grace teaches the grace nothing (it is no node's ordinary
         * jitter) and marks its node late, as a shard left behind would.
         */
        List<Integer> awaitAfterAnswer();

        /** The nodes of the shards neither acknowledged nor failed yet, at this moment; asked before {@link #await}. */
        List<String> nodesStillOut();

        /** The bytes sent to those shards' streams: what their transports may still hold, at most. */
        long bytesStillOut();
    }

    /**
     * A segment durable on its write quorum. Its record may be committed at once; {@link
     * Trailing#await} must follow, whatever happens to the commit.
     */
    public record QuorumWrite(Segment segment, Trailing trailing) {}

    /**
     * @param targets     node i receives shard i; k+m entries, null where no node was available
     * @param writeQuorum the fewest durable shards that make the write succeed (at least k)
     * @return the segment once every shard is durable or left behind (recorded missing)
     */
    public Segment write(
            String shardSet, InputStream in, ErasureLayout layout, List<NodeRecord> targets, int writeQuorum)
            throws IOException {
        return encode(shardSet, in, layout, targets, writeQuorum, false).segment();
    }

    /**
     * As {@link #write}, returning as soon as a write quorum is durable: the caller commits the
     * record while the other shards finish, then awaits them ({@link QuorumWrite#trailing}).
     */
    public QuorumWrite writeToQuorum(
            String shardSet, InputStream in, ErasureLayout layout, List<NodeRecord> targets, int writeQuorum)
            throws IOException {
        return encode(shardSet, in, layout, targets, writeQuorum, true);
    }

    private QuorumWrite encode(
            String shardSet,
            InputStream in,
            ErasureLayout layout,
            List<NodeRecord> targets,
            int writeQuorum,
            boolean overlap)
            throws IOException {
        int k = layout.getK(), m = layout.getM(), n = k + m;
        if (targets.size() != n) throw new IllegalArgumentException("need " + n + " targets, got " + targets.size());
        if (writeQuorum < k || writeQuorum > n)
            throw new IllegalArgumentException("write quorum " + writeQuorum + " outside " + k + ".." + n);
        ReedSolomon rs = ReedSolomon.create(k, m);
        int blockSize = layout.getBlockSize();
        int chunkSize = Math.ceilDiv(blockSize, k);
        StripeHasher hasher = new StripeHasher(BodyCheck.deferFrom(in));
        Fanout fanout = null;
        StripeRing ring = null;
        long size = 0;
        try {
            while (true) {
                // The body is read straight into the data shards (no stripe buffer, no copy), except the
                // first 64 KiB: small bodies are common (Milvus stats logs) and get arrays of their size.
                byte[][] data;
                byte[][] set = null; // a ring's set: the stripe's k data arrays and its m parity arrays
                int stride;
                int len;
                if (fanout == null && blockSize > FIRST_READ) {
                    byte[] first = new byte[FIRST_READ];
                    len = in.readNBytes(first, 0, FIRST_READ);
                    data = new byte[][] {first};
                    stride = FIRST_READ;
                    if (len == FIRST_READ) {
                        data = new byte[k][chunkSize];
                        scatter(first, data, chunkSize);
                        stride = chunkSize;
                        len = fill(in, data, chunkSize, len, blockSize);
                    }
                } else {
                    if (ring != null) set = ring.take();
                    data = set != null ? set : new byte[k][chunkSize]; // fill uses the first k arrays only
                    stride = chunkSize;
                    len = fill(in, data, chunkSize, 0, blockSize);
                }
                if (len == 0) break;
                if (fanout == null) {
                    fanout = new Fanout(shardSet, targets, chunkSize, writeQuorum);
                    if (fanout.copies()) ring = new StripeRing(n, chunkSize);
                }
                int chunk = chunkSize;
                byte[][] shards = new byte[n][];
                if (len == blockSize && set != null) {
                    shards = set;
                } else if (len == blockSize && stride == chunkSize) {
                    System.arraycopy(data, 0, shards, 0, k);
                } else {
                    // a short last stripe is cut into k chunks of ceil(len / k) bytes, as the decoder expects
                    chunk = Math.ceilDiv(len, k);
                    for (int i = 0; i < k; i++) {
                        shards[i] = new byte[chunk];
                        gather(data, stride, i * chunk, shards[i], Math.max(0, Math.min(chunk, len - i * chunk)));
                    }
                }
                for (int i = k; i < n; i++) if (shards[i] == null) shards[i] = new byte[chunk];
                // A body of one stripe is hashed here (no hop for small PUTs); longer ones beside the encoder.
                if (size == 0 && len < blockSize) hasher.hashHere(shards, chunk, len);
                else hasher.hashBeside(shards, chunk, len);
                rs.encode(shards, 0, chunk);
                for (int i = 0; i < n; i++) fanout.write(i, shards[i], chunk);
                size += len;
                if (len < blockSize) break;
            }
            String md5Hex = hasher.finish();
            Segment.Builder seg = Segment.newBuilder()
                    .setShardSet(shardSet)
                    .setSize(size)
                    .setLayout(layout)
                    .setMd5Hex(md5Hex);
            Trailing trailing = fanout == null ? Trailing.NONE : fanout.finish(seg, overlap);
            return new QuorumWrite(seg.build(), trailing);
        } catch (IOException | RuntimeException e) {
            if (fanout != null) fanout.abort();
            throw e;
        }
    }

    /** Reads stripe bytes [from, to) into {@code data} laid out {@code stride} bytes per array; returns where EOF stopped it. */
    private static int fill(InputStream in, byte[][] data, int stride, int from, int to) throws IOException {
        int pos = from;
        while (pos < to) {
            int off = pos % stride;
            int want = Math.min(stride - off, to - pos);
            int got = in.readNBytes(data[pos / stride], off, want);
            pos += got;
            if (got < want) break;
        }
        return pos;
    }

    private static void scatter(byte[] src, byte[][] data, int stride) {
        for (int pos = 0; pos < src.length; pos += stride) {
            System.arraycopy(src, pos, data[pos / stride], 0, Math.min(stride, src.length - pos));
        }
    }

    /** Copies {@code count} stripe bytes from position {@code from} of a {@code stride}-laid stripe into {@code dst}. */
    private static void gather(byte[][] data, int stride, int from, byte[] dst, int count) {
        for (int done = 0; done < count; ) {
            int pos = from + done;
            int n = Math.min(stride - pos % stride, count - done);
            System.arraycopy(data[pos / stride], pos % stride, dst, done, n);
            done += n;
        }
    }

    /**
     * Two stripes' arrays (k data and m parity each), used in turn. A stripe's arrays are free again once every
     * stream has copied its chunk (a data-port stream copies it into a frame before {@code write} returns) and the
     * hasher is done with it, which handing it the next stripe waits for. Spares a large PUT allocating, zeroing
     * and collecting 1.5 bytes for every byte of its body.
     */
    private static final class StripeRing {
        private final byte[][][] sets = new byte[2][][];
        private final int n;
        private final int chunkSize;
        private int next;

        StripeRing(int n, int chunkSize) {
            this.n = n;
            this.chunkSize = chunkSize;
        }

        byte[][] take() {
            if (sets[next] == null) sets[next] = new byte[n][chunkSize];
            byte[][] set = sets[next];
            next ^= 1;
            return set;
        }
    }

    /**
     * The MD5 of the body (its ETag) and the body's own checks, computed on a thread beside the one
     * that reads and encodes: the two passes take two cores instead of adding up on one. The MD5 of a
     * body longer than a stripe goes to the lanes that hash several bodies at once ({@link LaneMd5}) where
     * they run. At most one stripe is waiting to be hashed, so memory stays bounded; the data shards are
     * never written after they were read, so hashing and encoding them at once is safe.
     */
    private static final class StripeHasher {
        private final MessageDigest md5 = md5();
        private final BodyCheck check;
        private Future<?> pending;
        private Future<?> pendingMd5;
        private LaneMd5.Body lanes; // the MD5 in lanes instead, from a body's first stripe hashed beside
        private boolean decided;

        StripeHasher(BodyCheck check) {
            this.check = check;
        }

        void hashHere(byte[][] data, int chunk, int len) {
            hash(data, chunk, len, true);
        }

        void hashBeside(byte[][] data, int chunk, int len) throws IOException {
            await();
            if (!decided) {
                decided = true;
                if (LaneMd5.ready()) lanes = new LaneMd5.Body();
            }
            if (lanes == null) {
                pending = HASHERS.submit(() -> hash(data, chunk, len, true));
                return;
            }
            pendingMd5 = lanes.update(data, chunk, len);
            if (check != BodyCheck.NONE) pending = HASHERS.submit(() -> hash(data, chunk, len, false));
        }

        /** Waits for the last stripe, runs the body's final checks; returns the MD5 in hex. */
        String finish() throws IOException {
            await();
            check.finish();
            if (lanes == null) return HexFormat.of().formatHex(md5.digest());
            try {
                return lanes.finish();
            } catch (ExecutionException e) {
                throw new IOException("hashing the body", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while hashing", e);
            }
        }

        private void hash(byte[][] data, int chunk, int len, boolean withMd5) {
            for (int i = 0; i * chunk < len; i++) {
                int n = Math.min(chunk, len - i * chunk);
                if (withMd5) md5.update(data[i], 0, n);
                check.update(data[i], 0, n);
            }
        }

        /** Waits for both hashes of the last stripe: its arrays are free again only once neither reads them. */
        private void await() throws IOException {
            Future<?> checked = pending, hashed = pendingMd5;
            pending = pendingMd5 = null;
            try {
                await(checked);
            } finally {
                await(hashed);
            }
        }

        private static void await(Future<?> f) throws IOException {
            if (f == null) return;
            try {
                f.get();
            } catch (ExecutionException e) {
                // the body's checks fail with their own (S3) errors: pass them on as they are
                if (e.getCause() instanceof RuntimeException r) throw r;
                if (e.getCause() instanceof Error err) throw err;
                throw new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while hashing", e);
            }
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
        private int refusedForRoom; // streams dropped because their node had no room

        Fanout(String shardSet, List<NodeRecord> targets, int chunkSize, int quorum) throws ShardWriteException {
            this.shardSet = shardSet;
            this.targets = targets;
            this.quorum = quorum;
            this.writers = new RemoteShardWriter[targets.size()];
            for (int i = 0; i < writers.length; i++) {
                NodeRecord node = targets.get(i);
                if (node != null) {
                    writers[i] = RemoteShardWriter.open(clients, node, shardId(shardSet, i), chunkSize, stallTimeoutMs);
                }
            }
            checkQuorum(null);
        }

        /** Whether every stream copies a chunk before {@link #write} returns, so its arrays may be reused. */
        boolean copies() {
            for (RemoteShardWriter w : writers) if (w != null && !w.copiesChunks()) return false;
            return true;
        }

        /**
         * Sends shard i's chunk. While the write has more streams than its quorum needs, a stream
         * that takes no data for the {@link AdaptiveDelay#stallGrace} is left behind (its shard is
         * healed), so a paused node costs a multi-stripe PUT that grace, not the stall timeout.
         */
        void write(int i, byte[] data, int len) throws ShardWriteException {
            if (writers[i] == null) return;
            long patience = alive() > quorum ? stallGrace.nanos() : TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs);
            try {
                long waited = writers[i].write(data, len, patience);
                if (waited > 0) stallGrace.record(waited);
            } catch (RemoteShardWriter.Stalled e) {
                stallGrace.record(patience); // censored at the grace, as the other adaptive delays are
                if (alive() > quorum) dropLate(i, e.getMessage() + " with shards to spare");
                else drop(i, e);
            } catch (IOException e) {
                drop(i, e);
            }
        }

        /**
         * Ends every stream and records where each shard is, or that it is missing. Without {@code
         * overlap} it returns when every stream has ended (a shard left behind is recorded missing);
         * with it, as soon as a quorum is durable: the shards still out are recorded where they are
         * going, with the CRC of what was sent them, and the returned {@link Trailing} waits for them.
         */
        Trailing finish(Segment.Builder seg, boolean overlap) throws ShardWriteException {
            for (int i = 0; i < writers.length; i++) {
                if (writers[i] == null) continue;
                try {
                    writers[i].complete(); // all nodes fsync at once, not one after another
                } catch (IOException e) {
                    drop(i, e);
                }
            }
            Acks acks = new Acks();
            acks.take(overlap);
            List<Integer> trailing = List.copyOf(acks.pending);
            int[] sentCrcs = new int[writers.length];
            for (int i : trailing) sentCrcs[i] = writers[i].sentCrc32c();
            for (int i = 0; i < writers.length; i++) {
                NodeRecord node = targets.get(i);
                seg.addNodeIds(node == null ? "" : node.getNodeId())
                        .addShardCrc32C(trailing.contains(i) ? sentCrcs[i] : acks.crcs[i]);
                if (writers[i] == null) seg.addMissingShards(i);
            }
            if (trailing.isEmpty()) return Trailing.NONE;
            return new Trailing() {
                @Override
                public List<Integer> await() {
                    try {
                        acks.take(false);
                    } catch (ShardWriteException interrupted) {
                        for (int i : trailing)
                            if (writers[i] != null && acks.pending.contains(i)) cancel(i, "interrupted");
                    }
                    List<Integer> leftBehind = new ArrayList<>();
                    for (int i : trailing) {
                        if (writers[i] != null && acks.crcs[i] == sentCrcs[i]) continue;
                        if (writers[i] != null)
                            log.error("shard {} of {} acknowledged with a CRC unlike the one sent", i, shardSet);
                        leftBehind.add(i);
                    }
                    return leftBehind;
                }

                @Override
                public List<Integer> awaitAfterAnswer() {
                    acks.extend(Math.min(
                            TimeUnit.MILLISECONDS.toNanos(AFTER_ANSWER_PATIENCE_MS),
                            TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs)));
                    return await();
                }

                @Override
                public List<String> nodesStillOut() {
                    List<String> out = new ArrayList<>();
                    for (int i : acks.pending) if (!acks.endedAt.get(i).isDone()) out.add(writers[i].nodeId());
                    return out;
                }

                @Override
                public long bytesStillOut() {
                    long bytes = 0;
                    for (int i : acks.pending) if (!acks.endedAt.get(i).isDone()) bytes += writers[i].sentBytes();
                    return bytes;
                }
            };
        }

        /**
         * The acknowledgements of one segment's streams, taken in the order they come. Once a quorum
         * is durable, the streams still out (a paused, saturated or frozen node) get only the {@link
         * AdaptiveDelay#ackGrace} more: their shards are then left behind and healed, not waited for.
         */
        private final class Acks {
            final int[] crcs = new int[writers.length];
            /** When each stream ended (acknowledged or failed), stamped by the thread that saw it end. */
            final List<CompletableFuture<Long>> endedAt = new ArrayList<>();

            final List<Integer> pending = new ArrayList<>();
            final List<Long> ackTimes = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ackTimeoutMs);
            boolean quorumMet;
            long quorumAt;
            /** The deadline the grace set at the quorum; {@link #extend} may move {@link #deadline} past it. */
            long graceEnds;

            Acks() {
                for (int i = 0; i < writers.length; i++) {
                    endedAt.add(writers[i] == null ? null : writers[i].durable().handle((r, e) -> System.nanoTime()));
                    if (writers[i] != null) pending.add(i);
                }
            }

            /** Takes acknowledgements until every stream ended or, with {@code untilQuorum}, a quorum is durable. */
            void take(boolean untilQuorum) throws ShardWriteException {
                while (!pending.isEmpty()) {
                    if (!quorumMet && ackTimes.size() >= quorum) {
                        quorumMet = true;
                        quorumAt = System.nanoTime();
                        deadline = System.nanoTime()
                                + Math.min(ackGrace.nanos(), TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs));
                        graceEnds = deadline;
                    }
                    if (untilQuorum && quorumMet) return;
                    takeNext();
                }
                recordLags(ackTimes);
                if (ackTimes.size() >= quorum) pastQuorumNanos.accept(quorumMet ? System.nanoTime() - quorumAt : 0);
            }

            /** Waits up to {@code patienceNanos} past the quorum (already met) for the streams still out. */
            void extend(long patienceNanos) {
                deadline = Math.max(deadline, quorumAt + patienceNanos);
            }

            private void takeNext() throws ShardWriteException {
                CompletableFuture<?>[] waiting =
                        pending.stream().map(endedAt::get).toArray(CompletableFuture[]::new);
                boolean timedOut = false;
                try {
                    CompletableFuture.anyOf(waiting)
                            .get(Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    timedOut = true;
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e); // handle() never completes exceptionally
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ShardWriteException("interrupted while waiting for shard acknowledgements", e);
                }
                for (Iterator<Integer> it = pending.iterator(); it.hasNext(); ) {
                    int i = it.next();
                    boolean ended = endedAt.get(i).isDone();
                    if (!timedOut && !ended) continue;
                    it.remove();
                    try {
                        crcs[i] = writers[i].awaitDurable(0).getCrc32C(); // not ended: times out and cancels
                        long at = endedAt.get(i).join();
                        if (quorumMet && at > graceEnds) {
                            keptLate.accept(writers[i].nodeId());
                        } else {
                            ackTimes.add(at);
                            nodeOnTime.accept(writers[i].nodeId());
                        }
                    } catch (IOException e) {
                        if (ended || !quorumMet) drop(i, e);
                        else
                            dropLate(
                                    i,
                                    "trails the write quorum by more than "
                                            + TimeUnit.NANOSECONDS.toMillis(deadline - quorumAt) + " ms");
                    }
                }
            }
        }

        /** Teaches the grace how far acknowledgements trail the quorum's when nothing is wrong. */
        private void recordLags(List<Long> ackTimes) {
            if (ackTimes.size() <= quorum) return;
            Collections.sort(ackTimes);
            long quorumAt = ackTimes.get(quorum - 1);
            for (int j = quorum; j < ackTimes.size(); j++) ackGrace.record(ackTimes.get(j) - quorumAt);
        }

        void abort() {
            for (RemoteShardWriter w : writers) if (w != null) w.abort("upload failed");
            deleteQuietly(shardSet, targets);
        }

        /**
         * A shard too late for the write, left behind (recorded missing and healed): {@code why} it is,
         * its stream trailing a durable quorum past the grace or taking no data while the write had
         * shards to spare.
         */
        private void dropLate(int i, String why) {
            String node = cancel(i, why);
            nodeLate.accept(node);
            log.info("shard {} of {} on {} {}, written without it", i, shardSet, node, why);
        }

        private void drop(int i, IOException cause) throws ShardWriteException {
            String node = cancel(i, "dropped");
            nodeFailed.accept(node);
            if (ShardWriteException.noRoom(cause)) refusedForRoom++;
            log.warn("shard {} of {} on {} failed, continuing without it: {}", i, shardSet, node, cause.getMessage());
            checkQuorum(cause);
        }

        /** Takes shard i's stream out of the write (its shard is then recorded missing); returns its node. */
        private String cancel(int i, String why) {
            RemoteShardWriter w = writers[i];
            writers[i] = null;
            w.abort(why);
            return w.nodeId();
        }

        private int alive() {
            int alive = 0;
            for (RemoteShardWriter w : writers) if (w != null) alive++;
            return alive;
        }

        private void checkQuorum(IOException cause) throws ShardWriteException {
            int alive = alive();
            if (alive < quorum) {
                // Had the full nodes taken their shards, the quorum would have held: room, not nodes, is missing.
                boolean full = refusedForRoom > 0 && alive + refusedForRoom >= quorum;
                throw new ShardWriteException(
                        "only " + alive + " of " + writers.length + " shards writable, below the write quorum of "
                                + quorum
                                + (refusedForRoom > 0 ? "; " + refusedForRoom + " refused for want of room" : ""),
                        cause,
                        full);
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
