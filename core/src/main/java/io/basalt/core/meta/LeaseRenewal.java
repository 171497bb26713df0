package io.basalt.core.meta;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Renews a lease by asking every etcd member at once, each over a client of its own.
 *
 * <p>Why not jetcd's {@code keepAlive}: it keeps one stream, on whichever member the channel picked. When that
 * member freezes or is cut off, nothing fails the stream until gRPC's keepalive gives up on the connection, and
 * that can take longer than the lease's TTL: the lease expired though two of three members were reachable all
 * along, and the coordinator took a live node for dead. Asked through every member, a lease lives as long as any
 * member that has a leader answers (a member without one refuses, so a cut-off minority cannot vouch for it).
 */
final class LeaseRenewal {

    /** What one renewal learned. */
    enum Outcome {
        /** A member renewed it. */
        ALIVE,
        /** etcd no longer has it: it expired or was revoked. */
        EXPIRED,
        /** No member answered in time. */
        NO_ANSWER
    }

    private final List<Client> members;

    private LeaseRenewal(List<Client> members) {
        this.members = members;
    }

    /** Renews through {@code members}, one client per etcd member; their owner closes them. */
    static LeaseRenewal throughEach(List<Client> members) {
        return new LeaseRenewal(List.copyOf(members));
    }

    /** Renews through {@code client} alone (one etcd member, or a caller's client); its owner closes it. */
    static LeaseRenewal through(Client client) {
        return new LeaseRenewal(List.of(client));
    }

    /** Asks every member to renew lease {@code id}, waiting up to {@code timeout} for the first to renew it. */
    Outcome renew(long id, Duration timeout) throws InterruptedException {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(members.size());
        AtomicInteger gone = new AtomicInteger();
        for (Client member : members) {
            member.getLeaseClient().keepAliveOnce(id).whenComplete((response, failure) -> {
                if (failure == null) {
                    outcome.complete(Outcome.ALIVE);
                    return;
                }
                if (leaseNotFound(failure)) gone.incrementAndGet();
                if (pending.decrementAndGet() == 0)
                    outcome.complete(gone.get() > 0 ? Outcome.EXPIRED : Outcome.NO_ANSWER);
            });
        }
        try {
            return outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // a member that said the lease is gone spoke for the leader; silence from the rest changes nothing
            return gone.get() > 0 ? Outcome.EXPIRED : Outcome.NO_ANSWER;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot happen: the outcome is only ever completed normally", e);
        }
    }

    /** What a renewal of a held lease means for its holder ({@link Held#renew}). */
    enum Verdict {
        /** A member renewed it. */
        RENEWED,
        /** etcd no longer has it: it expired or was revoked. */
        EXPIRED,
        /** No member has renewed it for a whole TTL: it may have expired (a leader must take it as lost). */
        LAPSED,
        /** No member answered this time, but the last renewal is less than a TTL old. */
        UNANSWERED
    }

    /**
     * Lease {@code id} of {@code ttlSeconds}, renewed through these members from now on; {@code grantAskedNanos}
     * ({@link System#nanoTime}) is when its grant was asked for, from which it runs at the earliest.
     */
    Held hold(long id, long ttlSeconds, long grantAskedNanos) {
        return new Held(id, TimeUnit.SECONDS.toNanos(ttlSeconds), grantAskedNanos);
    }

    /**
     * One lease and when it was last renewed. The rule for what a renewal means lives here: gone when etcd says so,
     * lapsed when no member renewed it for a whole TTL, counted from when the last successful renewal was asked (etcd
     * restarts the TTL no earlier than that). A lapsed lease may still be alive; its holder decides what to do.
     */
    final class Held {
        private final long id;
        private final long ttlNanos;
        private volatile long renewedNanos;

        private Held(long id, long ttlNanos, long grantAskedNanos) {
            this.id = id;
            this.ttlNanos = ttlNanos;
            this.renewedNanos = grantAskedNanos;
        }

        long id() {
            return id;
        }

        /** Asks every member to renew it, waiting up to {@code timeout} for the first. */
        Verdict renew(Duration timeout) throws InterruptedException {
            long asked = System.nanoTime();
            return switch (LeaseRenewal.this.renew(id, timeout)) {
                case ALIVE -> {
                    renewedNanos = asked;
                    yield Verdict.RENEWED;
                }
                case EXPIRED -> Verdict.EXPIRED;
                case NO_ANSWER -> System.nanoTime() - renewedNanos > ttlNanos ? Verdict.LAPSED : Verdict.UNANSWERED;
            };
        }
    }

    /** True when etcd said the lease does not exist (expired or revoked), in a keep-alive or a put under it. */
    static boolean leaseNotFound(Throwable t) {
        for (; t != null; t = t.getCause()) {
            if (t instanceof EtcdException e && e.getErrorCode() == ErrorCode.NOT_FOUND) return true;
            if (t.getMessage() != null && t.getMessage().contains("requested lease not found")) return true;
        }
        return false;
    }
}
