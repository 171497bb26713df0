package io.basalt.coordinator;

import static io.basalt.coordinator.LeaderElectionTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.basalt.core.meta.Etcd;
import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.shard.Chunk;
import io.basalt.proto.shard.ShardServiceGrpc;
import io.basalt.proto.shard.StatShardRequest;
import io.basalt.proto.shard.WriteShardHeader;
import io.basalt.proto.shard.WriteShardRequest;
import io.basalt.proto.shard.WriteShardResponse;
import io.basalt.storage.StorageNode;
import io.basalt.storage.StorageNodeConfig;
import io.basalt.testkit.EtcdProcess;
import io.basalt.testkit.PrometheusText;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GC against a real etcd and a real storage node serving gRPC on a real port.
 */
class GarbageCollectorTest {

    private static final Keys KEYS = new Keys("/gc-test/");

    @TempDir
    Path tmp;

    private EtcdProcess etcd;
    private StorageNode node;
    private Client client;
    private ManagedChannel channel;
    private int nodePort;

    @BeforeEach
    void start() throws Exception {
        etcd = EtcdProcess.start();
        node = StorageNode.start(new StorageNodeConfig(
                "node-a",
                "127.0.0.1",
                0,
                List.of(tmp.resolve("node-a")),
                etcd.endpoint(),
                KEYS.root(),
                Duration.ofSeconds(3)));
        nodePort = node.port();
        client = Etcd.connect(List.of(etcd.endpoint()));
        awaitTrue(() -> get(KEYS.node("node-a")) != null, "node-a registers in etcd");
        channel = NettyChannelBuilder.forAddress("127.0.0.1", nodePort)
                .usePlaintext()
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) channel.shutdownNow();
        if (client != null) client.close();
        if (node != null) node.close();
        if (etcd != null) etcd.close();
    }

    @Test
    void deletesShardsOfExpiredRecordsAndKeepsRecordsWithUnreachableNodes() throws Exception {
        writeShard("set1.0", 1000);
        writeShard("set1.1", 1000);
        writeShard("set2.0", 500);
        writeShard("keep.0", 500);
        // all shards on node-a (a segment's shards normally sit on distinct nodes; GC does not care)
        queue("r1", segment("set1", "node-a", "node-a"), System.currentTimeMillis());
        // shard 1 is on a node that is not live: shard 0 goes, the record stays for later
        queue("r2", segment("set2", "node-a", "ghost"), System.currentTimeMillis());

        try (Coordinator c = Coordinator.start(new Coordinator.Config(
                "c1", List.of(etcd.endpoint()), KEYS.root(), Duration.ZERO, Duration.ofMillis(200), 3))) {
            awaitTrue(() -> get(KEYS.garbage("r1")) == null, "record r1 removed");
            assertGone("set1.0");
            assertGone("set1.1");
            awaitTrue(() -> !exists("set2.0"), "set2.0 deleted");
            Thread.sleep(1000); // a few more passes
            assertTrue(get(KEYS.garbage("r2")) != null, "record r2 kept while ghost is not live");
            assertTrue(exists("keep.0"), "an unreferenced shard is untouched");
            PrometheusText m = PrometheusText.parse(c.metrics().render());
            assertEquals(1, m.value("basalt_gc_shard_sets_collected_total"), "set1 only: set2 waits for ghost");
            assertEquals(1, m.value("basalt_gc_queue_length"));
            assertEquals(1, m.value("basalt_coordinator_is_leader"));

            // the operator drains the gone node (it is being removed): its share of r2 no longer holds r2 back
            client.getKVClient()
                    .put(
                            ByteSequence.from(KEYS.drain("ghost"), StandardCharsets.UTF_8),
                            ByteSequence.from(
                                    io.basalt.coordinator.admin.DrainStatus.requested(System.currentTimeMillis())
                                            .toJson(),
                                    StandardCharsets.UTF_8))
                    .get(10, TimeUnit.SECONDS);
            awaitTrue(() -> get(KEYS.garbage("r2")) == null, "record r2 removed once ghost is drained and gone");
            assertTrue(exists("keep.0"), "an unreferenced shard is still untouched");
        }
    }

    @Test
    void keepsRecordsWithinTheGracePeriod() throws Exception {
        writeShard("young.0", 100);
        queue("young", segment("young", "node-a"), System.currentTimeMillis());
        try (Coordinator c = Coordinator.start(new Coordinator.Config(
                "c1", List.of(etcd.endpoint()), KEYS.root(), Duration.ofSeconds(300), Duration.ofMillis(200), 3))) {
            awaitTrue(c::isLeader, "c1 leads");
            Thread.sleep(1500);
            assertTrue(exists("young.0"));
            assertTrue(get(KEYS.garbage("young")) != null);
        }
    }

    private static Segment segment(String shardSet, String... nodes) {
        return Segment.newBuilder()
                .setShardSet(shardSet)
                .addAllNodeIds(List.of(nodes))
                .build();
    }

    private void queue(String id, Segment segment, long queuedMs) throws Exception {
        GarbageRecord r = GarbageRecord.newBuilder()
                .addSegments(segment)
                .setQueuedUnixMs(queuedMs)
                .setReason("test")
                .build();
        client.getKVClient()
                .put(bs(KEYS.garbage(id)), ByteSequence.from(r.toByteArray()))
                .get(10, TimeUnit.SECONDS);
    }

    private byte[] get(String key) {
        try {
            var kvs =
                    client.getKVClient().get(bs(key)).get(10, TimeUnit.SECONDS).getKvs();
            return kvs.isEmpty() ? null : kvs.get(0).getValue().getBytes();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void writeShard(String id, int size) throws Exception {
        byte[] data = new byte[size];
        new java.util.Random(size).nextBytes(data);
        CRC32C crc = new CRC32C();
        crc.update(data);
        CompletableFuture<WriteShardResponse> done = new CompletableFuture<>();
        StreamObserver<WriteShardRequest> out = ShardServiceGrpc.newStub(channel)
                .writeShard(new StreamObserver<>() {
                    public void onNext(WriteShardResponse r) {
                        done.complete(r);
                    }

                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    public void onCompleted() {
                        done.completeExceptionally(new IllegalStateException("no response"));
                    }
                });
        out.onNext(WriteShardRequest.newBuilder()
                .setHeader(WriteShardHeader.newBuilder().setShardId(id).setChunkSize(size))
                .build());
        out.onNext(WriteShardRequest.newBuilder()
                .setChunk(Chunk.newBuilder().setData(ByteString.copyFrom(data)).setCrc32C((int) crc.getValue()))
                .build());
        out.onCompleted();
        assertEquals(size, done.get(30, TimeUnit.SECONDS).getInfo().getLength());
        assertTrue(exists(id));
    }

    private boolean exists(String shardId) {
        try {
            ShardServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .statShard(StatShardRequest.newBuilder().setShardId(shardId).build());
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return false;
            throw e;
        }
    }

    private void assertGone(String shardId) {
        assertTrue(!exists(shardId), shardId + " still exists");
    }

    private static ByteSequence bs(String s) {
        return ByteSequence.from(Keys.utf8(s));
    }
}
