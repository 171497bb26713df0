package io.basalt.core.meta;

import static io.basalt.core.meta.Etcd.await;
import static io.basalt.core.meta.Etcd.bs;

import io.basalt.proto.meta.GarbageRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** {@link GarbageQueue} on etcd: {@code gc/<random id>}. */
final class EtcdGarbageQueue extends EtcdQueue<GarbageRecord> implements GarbageQueue {

    /** A full read of the queue serves the orphan sweep, which may find it long. */
    private static final Duration READ_ALL_TIMEOUT = Duration.ofSeconds(30);

    private final Keys keys;

    EtcdGarbageQueue(KV kv, Keys keys) {
        super(kv, keys.garbagePrefix(), GarbageRecord.parser());
        this.keys = keys;
    }

    @Override
    public void add(GarbageRecord record) {
        await(kv.put(bs(keys.garbage(UUID.randomUUID().toString())), ByteSequence.from(record.toByteArray())));
    }

    @Override
    public Page page(String afterName, int limit) {
        byte[] prefix = Keys.utf8(keys.garbagePrefix());
        byte[] from = prefix;
        if (afterName != null) {
            byte[] last = Keys.utf8(keys.garbage(afterName));
            from = Arrays.copyOf(last, last.length + 1); // the smallest key after last
        }
        GetResponse r = await(kv.get(
                ByteSequence.from(from),
                GetOption.builder()
                        .withRange(ByteSequence.from(Keys.prefixEnd(prefix)))
                        .withLimit(limit)
                        .build()));
        return new Page(entries(r.getKvs()), r.isMore());
    }

    @Override
    public List<Versioned<GarbageRecord>> all() {
        return entries(all(READ_ALL_TIMEOUT));
    }
}
