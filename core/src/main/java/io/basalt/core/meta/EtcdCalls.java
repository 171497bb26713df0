package io.basalt.core.meta;

import io.basalt.core.cluster.AdaptiveDelay;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Txn;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.options.GetOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * How the metadata stores call etcd: reads, range reads and fenced transactions, each through a member picked by
 * {@link EtcdMembers}, each waited for up to a deadline learnt from recent answers. A point read slow on its member is
 * asked of another ({@link #read}); a transaction is sent once and fenced ({@link #commit}).
 */
final class EtcdCalls implements AutoCloseable {

    private static final GetOption WHOLE_PREFIX =
            GetOption.builder().isPrefix(true).build();

    /** The deadline of a range read, whose time grows with its size. */
    private static final long SCAN_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** Shared by every request through these calls: it learns how long etcd takes to answer. */
    private final AdaptiveDelay callDeadline = AdaptiveDelay.etcdCall();
    /** How long a point read waits for its member before it is asked of another as well. */
    private final AdaptiveDelay readHedge = AdaptiveDelay.etcdReadHedge();
    /** The same for range reads, whose times differ from point reads' and among themselves (page sizes). */
    private final AdaptiveDelay scanHedge = AdaptiveDelay.etcdScanHedge();

    private final EtcdMembers members;
    private final TransactionFences fences;

    EtcdCalls(EtcdMembers members, Keys keys) {
        this.members = members;
        this.fences = new TransactionFences(members, keys);
    }

    /** One etcd KV call, made through whichever member's client the store picks ({@link EtcdMembers}). */
    @FunctionalInterface
    interface Call<T> {
        CompletableFuture<T> on(KV kv);
    }

    /**
     * A transaction, fenced ({@link TransactionFences}): {@code body} adds its compares and operations to one that
     * already requires its fence absent. When it fails without an answer, its fence is raised before the caller
     * hears of it, so a transaction the caller was told failed cannot commit later.
     */
    TxnResponse commit(UnaryOperator<Txn> body) {
        TransactionFences.Fence fence = fences.next();
        try {
            return await(kv -> body.apply(kv.txn().If(fence.unraised())).commit());
        } catch (MetadataUnavailableException e) {
            fences.raise(fence, callDeadline.nanos());
            throw e;
        }
    }

    /**
     * A call that may change etcd (a transaction): made through one member, waited for up to the adaptive
     * deadline. It goes to a second member only when the first refused the connection, so never received it;
     * after a timeout or a broken connection its outcome is unknown (the member may still commit it), and only
     * the caller knows whether doing it twice is safe. Only {@link #commit} calls it: every write is fenced.
     */
    private <T> T await(Call<T> call) {
        EtcdMembers.Member first = members.pick();
        try {
            return once(first, call, callDeadline.nanos(), true);
        } catch (MetadataUnavailableException e) {
            EtcdMembers.Member second = neverSent(e) ? members.other(first) : null;
            if (second == null) throw e;
            return once(second, call, callDeadline.nanos(), true);
        }
    }

    /**
     * A point read (one record, or a transaction of reads): asked of a second member too when the first has not
     * answered within the hedge delay, the first answer taken. A member beaten so, or silent past the deadline,
     * is suspect: a frozen member costs one read a hedge delay, instead of a third of all calls their deadline.
     */
    <T> T read(Call<T> call) {
        return hedged(call, readHedge, callDeadline.nanos(), true);
    }

    /**
     * A page of a range read (a listing or scan), whose time grows with its size: hedged as a point read, on a
     * delay learnt from range reads alone, within the fixed deadline, which it does not teach.
     */
    <T> T scan(Call<T> call) {
        return hedged(call, scanHedge, SCAN_TIMEOUT_NANOS, false);
    }

    /** The record at {@code key}, if there is one: a point read ({@link #read}). */
    Optional<KeyValue> get(String key) {
        return read(kv -> kv.get(Etcd.bs(key))).getKvs().stream().findFirst();
    }

    /** Every record under {@code prefix}, in one range read ({@link #scan}): for prefixes that hold few. */
    List<KeyValue> under(String prefix) {
        return scan(kv -> kv.get(Etcd.bs(prefix), WHOLE_PREFIX)).getKvs();
    }

    /**
     * {@code call} through a picked member, and through a second one too when the first has not answered within
     * {@code hedgeDelay} or could not be reached; the first answer is taken, within {@code deadline} of the start.
     * {@code learns}: whether this answer's time teaches the adaptive deadline.
     */
    private <T> T hedged(Call<T> call, AdaptiveDelay hedgeDelay, long deadline, boolean learns) {
        EtcdMembers.Member first = members.pick();
        if (!members.several()) return once(first, call, deadline, learns);
        long t0 = System.nanoTime(), hedge = Math.min(hedgeDelay.nanos(), deadline);
        CompletableFuture<T> a = call.on(first.kv());
        try {
            T result = a.get(hedge, TimeUnit.NANOSECONDS);
            hedgeDelay.record(System.nanoTime() - t0);
            if (learns) callDeadline.record(System.nanoTime() - t0);
            return result;
        } catch (TimeoutException e) {
            hedgeDelay.record(hedge);
        } catch (ExecutionException e) {
            if (!EtcdMembers.unreachable(e)) throw new MetadataUnavailableException("etcd: " + e.getMessage(), e);
            members.suspect(first);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetadataUnavailableException("interrupted", e);
        }
        EtcdMembers.Member second = members.other(first);
        CompletableFuture<T> b = second == null ? a : call.on(second.kv());
        try {
            T result = awaitFor(firstAnswer(a, b), deadline - (System.nanoTime() - t0));
            if (learns) callDeadline.record(System.nanoTime() - t0);
            if (!a.isDone() || a.isCompletedExceptionally()) members.suspect(first);
            return result;
        } catch (MetadataUnavailableException e) {
            if (learns && e.getCause() instanceof TimeoutException) callDeadline.record(deadline);
            if (!a.isDone()) members.suspect(first);
            if (second != null && !b.isDone()) members.suspect(second);
            throw e;
        }
    }

    /**
     * {@code call} through {@code member}, waited for up to {@code deadline}; when it {@code learns}, each answer
     * teaches the adaptive deadline how long calls take, and a call that reaches it is recorded as it, so when more
     * than 1% do the deadline grows (to at most the fixed one). A member that times out or cannot be reached is
     * suspect.
     */
    private <T> T once(EtcdMembers.Member member, Call<T> call, long deadline, boolean learns) {
        long t0 = System.nanoTime();
        try {
            T result = awaitFor(call.on(member.kv()), deadline);
            if (learns) callDeadline.record(System.nanoTime() - t0);
            return result;
        } catch (MetadataUnavailableException e) {
            if (learns && e.getCause() instanceof TimeoutException) callDeadline.record(deadline);
            if (e.getCause() instanceof TimeoutException || EtcdMembers.unreachable(e)) members.suspect(member);
            throw e;
        }
    }

    /** A lease call, through the store's own client, waited for up to the adaptive deadline. */
    <T> T awaitLease(CompletableFuture<T> f) {
        return awaitFor(f, callDeadline.nanos());
    }

    /** The first of two calls to answer, or the last failure when both fail. */
    private static <T> CompletableFuture<T> firstAnswer(CompletableFuture<T> a, CompletableFuture<T> b) {
        if (a == b) return a;
        CompletableFuture<T> first = new CompletableFuture<>();
        AtomicInteger failed = new AtomicInteger();
        BiConsumer<T, Throwable> take = (answer, failure) -> {
            if (failure == null) first.complete(answer);
            else if (failed.incrementAndGet() == 2) first.completeExceptionally(failure);
        };
        a.whenComplete(take);
        b.whenComplete(take);
        return first;
    }

    /** The call was refused a connection (its member is down), so no member received it. */
    private static boolean neverSent(Throwable t) {
        for (; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) return true;
        }
        return false;
    }

    private static <T> T awaitFor(CompletableFuture<T> f, long nanos) {
        try {
            return f.get(nanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new MetadataUnavailableException(
                    "etcd: no answer within " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetadataUnavailableException("interrupted", e);
        } catch (ExecutionException e) {
            throw new MetadataUnavailableException("etcd: " + e.getMessage(), e);
        }
    }

    /** Stops probing members; the clients are their owner's to close. */
    @Override
    public void close() {
        members.close();
    }
}
