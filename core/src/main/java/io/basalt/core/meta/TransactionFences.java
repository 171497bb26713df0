package io.basalt.core.meta;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.options.PutOption;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Keeps a transaction whose caller gave up on it from committing afterwards.
 *
 * <p>Why: a transaction sent to an etcd member that then freezes waits, unread, in that member's socket. The
 * caller's deadline passes and the S3 client gets a 503. When the member resumes it reads the transaction and
 * forwards it to the leader, which commits it if its compares still hold: a PUT whose client was told it failed,
 * and whose key that client has deleted since, comes back. gRPC's deadline does not stop it (the server starts
 * its clock when it reads the request).
 *
 * <p>So every transaction also requires a key of its own to be absent (its fence; a compare on a missing key costs
 * etcd nothing, and the key is never written in the common case). A caller that gives up on a transaction first
 * writes its fence through another member; once that write is acknowledged the transaction can only fail its
 * compares, wherever it is. Fences live a day under a shared lease: a member that resumes after longer than that
 * could still commit what it held (etcd offers no way to cancel a request a member holds).
 */
final class TransactionFences {

    private static final Logger log = LogManager.getLogger(TransactionFences.class);
    /** How long a fence lives at least, and how long one lease is used for new fences. */
    private static final long FENCE_SECONDS = TimeUnit.DAYS.toSeconds(1);

    private static final long LEASE_REUSE_SECONDS = TimeUnit.HOURS.toSeconds(1);

    /** One transaction's fence. */
    record Fence(ByteSequence key) {
        /** The compare that fails once the fence is raised. */
        Cmp unraised() {
            return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0));
        }
    }

    private record Granted(long id, long reuseUntilNanos) {}

    private final EtcdMembers members;
    private final Keys keys;
    /** Unique to this process: fence ids are this and a counter, shorter and cheaper than a UUID each. */
    private final String prefix = UUID.randomUUID().toString() + "-";

    private final AtomicLong counter = new AtomicLong();
    private volatile Granted lease;

    TransactionFences(EtcdMembers members, Keys keys) {
        this.members = members;
        this.keys = keys;
    }

    Fence next() {
        return new Fence(EtcdMetadataStore.bs(keys.fence(prefix + counter.incrementAndGet())));
    }

    /**
     * Writes {@code fence} through the first member that acknowledges it, the ones not suspect first (the member
     * that held the transaction is suspect by now), each waited for up to {@code timeoutNanos}. Returns whether a
     * member acknowledged it; when none did, the transaction may still commit.
     */
    boolean raise(Fence fence, long timeoutNanos) {
        boolean interrupted = Thread.interrupted(); // an interrupted caller still needs its transaction fenced
        try {
            for (EtcdMembers.Member m : members.inTurn()) {
                try {
                    m.kv().put(
                                    fence.key(),
                                    ByteSequence.EMPTY,
                                    PutOption.builder()
                                            .withLeaseId(lease(m, timeoutNanos))
                                            .build())
                            .get(timeoutNanos, TimeUnit.NANOSECONDS);
                    log.debug("fenced {} through {}", fence.key(), m);
                    return true;
                } catch (TimeoutException | ExecutionException e) {
                    lease = null; // the lease may be what failed (expired early, or granted by a lost member)
                    if (e instanceof TimeoutException || EtcdMembers.unreachable(e)) members.suspect(m);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            log.warn(
                    "could not fence {}: a transaction that timed out may still commit when its etcd member answers",
                    fence.key());
            return false;
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** The lease new fences go under, granted through {@code m} when the last one is due for a change. */
    private long lease(EtcdMembers.Member m, long timeoutNanos)
            throws InterruptedException, ExecutionException, TimeoutException {
        Granted g = lease;
        if (g != null && System.nanoTime() - g.reuseUntilNanos() < 0) return g.id();
        long id = m.lease()
                .grant(FENCE_SECONDS + LEASE_REUSE_SECONDS)
                .get(timeoutNanos, TimeUnit.NANOSECONDS)
                .getID();
        lease = new Granted(id, System.nanoTime() + TimeUnit.SECONDS.toNanos(LEASE_REUSE_SECONDS));
        return id;
    }
}
