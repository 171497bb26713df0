package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FloorTest {
    private static Limits limits(Map<String, Double> values) {
        Limits l = new Limits();
        values.forEach((name, v) -> l.all.put(name, new Limits.Limit(name, "", v, "")));
        return l;
    }

    static final Map<String, Double> ALL = Map.ofEntries(
            Map.entry("CRC32C, one core", 50.0),
            Map.entry("MD5, one core", 0.8),
            Map.entry("SHA-256, one core", 2.0),
            Map.entry("RS encode 4+2", 10.0),
            Map.entry("RS decode 4+2 (2 lost)", 8.0),
            Map.entry(Limits.PLAIN_SEND, 0.25),
            Map.entry(Limits.PLAIN_RECEIVE, 0.125),
            Map.entry(Limits.TLS_SEND, 0.4),
            Map.entry(Limits.TLS_RECEIVE, 0.3),
            Map.entry(Limits.SHARD_WRITES, 0.5),
            Map.entry(Limits.SHARD_READS, 0.05));

    @Test
    void sumsEachStepPerPayloadByte() {
        List<Floor> floors = Floor.of(limits(ALL));
        assertEquals(3, floors.size());
        Floor put = floors.get(0), get = floors.get(1);
        assertEquals(Floor.PUT, put.name());
        // gateway: receive, MD5, SHA-256, encode, 1.5 B sent per B; nodes: 1.5 B received, checksummed, written
        double gateway = 0.125 + 1 / 0.8 + 1 / 2.0 + 1 / 10.0 + 1.5 * 0.4;
        double nodes = 1.5 * (0.3 + 1 / 50.0 + 0.5);
        assertEquals(gateway + nodes, put.total(), 1e-9);
        assertEquals(Floor.GET, get.name());
        assertEquals(0.05 + 1 / 50.0 + 0.4 + 0.3 + 0.25, get.total(), 1e-9);
        assertTrue(put.how().contains("TLS send 0.600 (1.50 B per B)"), put.how());
        Floor heal = floors.get(2);
        assertEquals(Floor.HEAL, heal.name());
        // k = 4 shards' bytes read for every byte rebuilt: the rebuilt quarter crosses to a new node and is written
        double read = 0.05 + 1 / 50.0 + 0.4 + 0.3 + 1 / 8.0;
        double rebuilt = 0.25 * (0.4 + 0.3 + 1 / 50.0 + 0.5);
        assertEquals(read + rebuilt, heal.total(), 1e-9);
    }

    @Test
    void shardBytesCostTheDataPortsTlsWhereBoringSslWasMeasured() {
        var withBoringSsl = new java.util.HashMap<>(ALL);
        withBoringSsl.put(Limits.BORINGSSL_SEND, 0.2);
        withBoringSsl.put(Limits.BORINGSSL_RECEIVE, 0.1);
        List<Floor> jdk = Floor.of(limits(ALL)), boring = Floor.of(limits(withBoringSsl));
        // PUT: 1.5 B per B each way; GET: 1 B; heal: 1 B read and a quarter rebuilt, each way
        assertEquals(
                1.5 * ((0.4 - 0.2) + (0.3 - 0.1)),
                jdk.get(0).total() - boring.get(0).total(),
                1e-9);
        assertEquals(
                (0.4 - 0.2) + (0.3 - 0.1), jdk.get(1).total() - boring.get(1).total(), 1e-9);
        assertEquals(
                1.25 * ((0.4 - 0.2) + (0.3 - 0.1)),
                jdk.get(2).total() - boring.get(2).total(),
                1e-9);
    }

    @Test
    void noFloorWhereALimitWasNotMeasured() {
        var some = new java.util.HashMap<>(ALL);
        some.remove(Limits.SHARD_READS); // no O_DIRECT on this disk: the GET floor is unknown, the PUT one is not
        some.remove(Limits.SHARD_WRITES);
        assertEquals(List.of(), Floor.of(limits(some)));
        some.put(Limits.SHARD_WRITES, 0.5);
        assertEquals(
                List.of(Floor.PUT),
                Floor.of(limits(some)).stream().map(Floor::name).toList());
    }
}
