package io.basalt.core.meta;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** {@link RecordInventory} on etcd: range reads of a whole kind's prefix, one page at a time. */
final class EtcdRecordInventory implements RecordInventory {

    private final KV kv;
    private final Keys keys;

    EtcdRecordInventory(KV kv, Keys keys) {
        this.kv = kv;
        this.keys = keys;
    }

    @Override
    public void objects(int pageSize, BiConsumer<String, ObjectRecord> each) {
        scan(keys.objects(), pageSize, ObjectRecord.parser(), each);
        // noncurrent versions, named bucket/key as current ones are; guards and delete markers hold no data
        scan(keys.versions(), pageSize, ObjectRecord.parser(), (name, r) -> {
            int sep = name.indexOf(Keys.VERSION_SEPARATOR);
            if (sep > 0 && !r.getDeleteMarker() && r.getSegmentsCount() > 0) each.accept(name.substring(0, sep), r);
        });
    }

    @Override
    public void parts(int pageSize, BiConsumer<String, PartRecord> each) {
        scan(keys.parts(), pageSize, PartRecord.parser(), each);
    }

    @Override
    public void garbage(int pageSize, Consumer<GarbageRecord> each) {
        scan(keys.garbagePrefix(), pageSize, GarbageRecord.parser(), (name, g) -> each.accept(g));
    }

    @Override
    public void nodes(int pageSize, Consumer<NodeRecord> each) {
        scan(keys.nodes(), pageSize, NodeRecord.parser(), (name, n) -> each.accept(n));
    }

    /** Calls {@code each} with every readable record under {@code prefix} and its key below the prefix. */
    private <T> void scan(String prefix, int pageSize, Parser<T> parser, BiConsumer<String, T> each) {
        ByteSequence end = ByteSequence.from(Keys.prefixEnd(Keys.utf8(prefix)));
        ByteSequence from = ByteSequence.from(Keys.utf8(prefix));
        while (true) {
            GetResponse page;
            try {
                page = kv.get(
                                from,
                                GetOption.builder()
                                        .withRange(end)
                                        .withLimit(pageSize)
                                        .build())
                        .get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("etcd: " + e.getMessage(), e);
            }
            for (KeyValue e : page.getKvs()) {
                T record = parse(e, parser);
                if (record != null)
                    each.accept(e.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()), record);
            }
            if (!page.isMore() || page.getKvs().isEmpty()) return;
            byte[] last = page.getKvs().get(page.getKvs().size() - 1).getKey().getBytes();
            from = ByteSequence.from(Arrays.copyOf(last, last.length + 1)); // the smallest key after last
        }
    }

    private static <T> T parse(KeyValue e, Parser<T> parser) {
        try {
            return RecordFormat.check(parser.parseFrom(e.getValue().getBytes()), e.getKey());
        } catch (InvalidProtocolBufferException ex) {
            return null;
        }
    }
}
