package io.basalt.core.meta;

import static io.basalt.core.meta.Etcd.await;
import static io.basalt.core.meta.Etcd.bs;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A queue kept under one key prefix, what the heal and garbage queues share: entries are read in
 * key order, and one is consumed by a delete that compares its revision, so an entry rewritten
 * meanwhile (a newer report) survives its consumer.
 */
abstract class EtcdQueue<T> {

    protected final KV kv;
    private final String prefix;
    private final Parser<T> parser;

    EtcdQueue(KV kv, String prefix, Parser<T> parser) {
        this.kv = kv;
        this.prefix = prefix;
        this.parser = parser;
    }

    /** The first {@code limit} entries (0: all). */
    public List<Versioned<T>> first(int limit) {
        GetOption.Builder opt = GetOption.builder().isPrefix(true);
        if (limit > 0) opt.withLimit(limit);
        return entries(await(kv.get(bs(prefix), opt.build())).getKvs());
    }

    /** Every entry, in one read that may take up to {@code wait}. */
    List<KeyValue> all(Duration wait) {
        return await(kv.get(bs(prefix), GetOption.builder().isPrefix(true).build()), wait)
                .getKvs();
    }

    List<Versioned<T>> entries(List<KeyValue> kvs) {
        List<Versioned<T>> out = new ArrayList<>(kvs.size());
        for (KeyValue e : kvs) out.add(new Versioned<>(name(e), parse(e), e.getModRevision()));
        return out;
    }

    String name(KeyValue e) {
        return e.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
    }

    public boolean removeIfUnchanged(Versioned<T> entry) {
        ByteSequence key = bs(prefix + entry.name());
        return await(kv.txn()
                        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(entry.revision())))
                        .Then(Op.delete(key, DeleteOption.DEFAULT))
                        .commit())
                .isSucceeded();
    }

    public long size() {
        return size(Duration.ofSeconds(10));
    }

    public long size(Duration wait) {
        return await(
                        kv.get(
                                bs(prefix),
                                GetOption.builder()
                                        .isPrefix(true)
                                        .withCountOnly(true)
                                        .build()),
                        wait)
                .getCount();
    }

    /** An entry that cannot be read is kept with a null value: its consumer decides what to do with it. */
    private T parse(KeyValue e) {
        try {
            return RecordFormat.check(parser.parseFrom(e.getValue().getBytes()), e.getKey());
        } catch (InvalidProtocolBufferException ex) {
            return null;
        }
    }
}
