package io.basalt.core.erasure;

import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardWriter;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.shard.ShardInfo;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Streams a body into k+m shards: reads one stripe at a time, encodes its parity and sends
 * chunk i to shard i's node, so memory stays at a stripe or two whatever the object size.
 * Returns only once every shard is durable on its node.
 */
public final class SegmentEncoder {

    private static final Logger log = LogManager.getLogger(SegmentEncoder.class);

    private final ShardClients clients;
    private final long stallTimeoutMs;

    public SegmentEncoder(ShardClients clients, long stallTimeoutMs) {
        this.clients = clients;
        this.stallTimeoutMs = stallTimeoutMs;
    }

    public static String shardId(String shardSet, int index) {
        return shardSet + "." + index;
    }

    /**
     * @param targets node i receives shard i; exactly k+m distinct nodes
     * @param objectDigest also fed with every byte (the object's ETag); may be null
     */
    public Segment write(String shardSet, InputStream in, ErasureLayout layout, List<NodeRecord> targets,
                         MessageDigest objectDigest) throws IOException {
        int k = layout.getK(), m = layout.getM(), n = k + m;
        if (targets.size() != n) throw new IllegalArgumentException("need " + n + " targets, got " + targets.size());
        ReedSolomon rs = ReedSolomon.create(k, m);
        MessageDigest md5 = md5();
        int blockSize = layout.getBlockSize();
        int fullChunk = StripeLayout.ceilDiv(blockSize, k);
        ShardWriter[] writers = null;
        long size = 0;
        try {
            while (true) {
                byte[] stripe = new byte[blockSize];
                int len = in.readNBytes(stripe, 0, blockSize);
                if (len == 0) break;
                md5.update(stripe, 0, len);
                if (objectDigest != null) objectDigest.update(stripe, 0, len);
                if (writers == null) writers = open(shardSet, targets, fullChunk);
                int chunk = StripeLayout.ceilDiv(len, k);
                byte[][] shards = new byte[n][chunk];
                for (int i = 0; i < k; i++) {
                    int from = i * chunk;
                    if (from < len) System.arraycopy(stripe, from, shards[i], 0, Math.min(chunk, len - from));
                }
                rs.encodeParity(shards, 0, chunk);
                for (int i = 0; i < n; i++) writers[i].write(shards[i], chunk);
                size += len;
                if (len < blockSize) break;
            }
            Segment.Builder seg = Segment.newBuilder()
                    .setShardSet(shardSet)
                    .setSize(size)
                    .setLayout(layout)
                    .setMd5Hex(HexFormat.of().formatHex(md5.digest()));
            if (writers != null) {
                for (int i = 0; i < n; i++) {
                    ShardInfo info = writers[i].finish(stallTimeoutMs);
                    seg.addNodeIds(targets.get(i).getNodeId()).addShardCrc32C(info.getCrc32C());
                }
            }
            return seg.build();
        } catch (IOException | RuntimeException e) {
            if (writers != null) {
                for (ShardWriter w : writers) w.abort("upload failed");
                deleteQuietly(shardSet, targets);
            }
            throw e;
        }
    }

    private ShardWriter[] open(String shardSet, List<NodeRecord> targets, int chunkSize) {
        ShardWriter[] writers = new ShardWriter[targets.size()];
        for (int i = 0; i < writers.length; i++) {
            NodeRecord node = targets.get(i);
            writers[i] = ShardWriter.open(clients, node.getNodeId(), node.getAddress(), shardId(shardSet, i),
                    chunkSize, stallTimeoutMs);
        }
        return writers;
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
            clients.async(node.getAddress()).deleteShard(
                    io.basalt.proto.shard.DeleteShardRequest.newBuilder().setShardId(id).build(),
                    new io.grpc.stub.StreamObserver<>() {
                        @Override
                        public void onNext(io.basalt.proto.shard.DeleteShardResponse value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            log.debug("could not delete shard {} on {}: {}", id, node.getNodeId(), t.toString());
                        }

                        @Override
                        public void onCompleted() {
                        }
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
