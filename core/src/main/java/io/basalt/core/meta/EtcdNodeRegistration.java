package io.basalt.core.meta;

import io.basalt.proto.meta.NodeRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Keeps {@code <prefix>nodes/<id>} in etcd under a lease while the node runs: the coordinator
 * takes an expired lease as "node down". The record is rewritten periodically so free space stays
 * current, and a lost lease (etcd unreachable for longer than the TTL) is replaced by a new one.
 *
 * <p>The lease is renewed three times per TTL through every etcd member at once ({@link LeaseRenewal}), so one
 * member frozen or cut off never costs a live node its registration. Every etcd call waits at most a third of the
 * TTL, so a call stuck on such a member cannot hold a renewal back past the lease's end. All etcd work runs on
 * one scheduler thread, so lease state needs no locking.
 */
final class EtcdNodeRegistration implements NodeRegistry.Registration {
    private static final Logger log = LogManager.getLogger(EtcdNodeRegistration.class);
    static final Duration REFRESH_INTERVAL = Duration.ofSeconds(10);
    private static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);
    private static final Duration RENEW_RETRY = Duration.ofMillis(250);

    private final Client client;
    private final LeaseRenewal renewal;
    private final ByteSequence key;
    private final long ttlSeconds;
    /** How long a put, grant or renewal may wait: a third of the TTL, at most 5 s. */
    private final long opTimeoutMs;

    private final Supplier<NodeRecord> record;
    private final ScheduledThreadPoolExecutor scheduler;
    private LeaseRenewal.Held lease; // null: none held
    private volatile boolean closed;

    private EtcdNodeRegistration(
            Client client, LeaseRenewal renewal, String key, Duration ttl, Supplier<NodeRecord> record) {
        this.client = client;
        this.renewal = renewal;
        this.key = ByteSequence.from(key, StandardCharsets.UTF_8);
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
        this.opTimeoutMs = Math.min(5_000, ttlSeconds * 1000 / 3);
        this.record = record;
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "node-registration");
            t.setDaemon(true);
            return t;
        });
        // close() must not wait for the next periodic refresh
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * Registers the node, waiting for the first attempt; if etcd is unreachable it keeps trying
     * in the background rather than failing the node's start.
     *
     * @param client the node's etcd client; the caller closes it after this registration
     * @param renewal renews the lease
     * @param key the node's key, {@code <prefix>nodes/<id>}
     * @param record current record; called at each refresh so free space is fresh
     */
    static EtcdNodeRegistration start(
            Client client, LeaseRenewal renewal, String key, Duration ttl, Supplier<NodeRecord> record) {
        EtcdNodeRegistration registration = new EtcdNodeRegistration(client, renewal, key, ttl, record);
        try {
            registration.scheduler.submit(registration::refreshAndReschedule).get();
        } catch (Exception e) {
            registration.close();
            throw new IllegalStateException("cannot start node registration", e);
        }
        registration.scheduleRenewal(registration.renewInterval());
        return registration;
    }

    @Override
    public void refreshSoon() {
        try {
            scheduler.execute(this::tryRefresh);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void refreshAndReschedule() {
        Duration next = REFRESH_INTERVAL;
        if (!tryRefresh()) {
            next = RETRY_INTERVAL;
        }
        if (!closed) {
            scheduler.schedule(this::refreshAndReschedule, next.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private boolean tryRefresh() {
        if (closed) {
            return true;
        }
        try {
            if (lease == null) {
                grantLease();
            }
            client.getKVClient()
                    .put(
                            key,
                            ByteSequence.from(record.get().toByteArray()),
                            PutOption.builder().withLeaseId(lease.id()).build())
                    .get(opTimeoutMs, TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            // A put can fail on one unreachable member while the lease lives on: only etcd saying the lease is
            // gone ends it. A new lease is then granted on the next try.
            log.warn("cannot register {} in etcd, retrying: {}", key, rootMessage(e));
            if (LeaseRenewal.leaseNotFound(e)) lease = null;
            return false;
        }
    }

    private void grantLease() throws Exception {
        long started = System.nanoTime();
        long id = client.getLeaseClient()
                .grant(ttlSeconds)
                .get(opTimeoutMs, TimeUnit.MILLISECONDS)
                .getID();
        lease = renewal.hold(id, ttlSeconds, started);
        log.info("registered {} with lease {} (ttl {} s)", key, Long.toHexString(id), ttlSeconds);
    }

    private Duration renewInterval() {
        return Duration.ofMillis(ttlSeconds * 1000 / 3);
    }

    private void scheduleRenewal(Duration after) {
        try {
            scheduler.schedule(this::renewAndReschedule, after.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void renewAndReschedule() {
        if (closed) return;
        Duration next = renewInterval();
        LeaseRenewal.Held held = lease;
        if (held == null) {
            tryRefresh(); // a lease lost and not yet replaced: grant one now rather than at the next refresh
        } else {
            LeaseRenewal.Verdict verdict;
            try {
                verdict = held.renew(Duration.ofMillis(opTimeoutMs));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            switch (verdict) {
                case RENEWED -> {}
                case EXPIRED -> registerAgain(held.id());
                // A lease no member renewed for a TTL may still be alive (a new raft leader extends every lease):
                // dropping it for a new one whose put then failed, as when that put went to a frozen member, let the
                // dropped lease run out and delete the key (a chaos run showed it). Etcd's next answer decides.
                case LAPSED, UNANSWERED -> next = RENEW_RETRY;
            }
        }
        scheduleRenewal(next);
    }

    /** After etcd said lease {@code id} is gone: registers under a new one now (or at the next try, if this fails). */
    private void registerAgain(long id) {
        log.warn("lease {} of {}: it expired; registering again", Long.toHexString(id), key);
        lease = null;
        tryRefresh();
    }

    /** Stops refreshing and revokes the lease, which removes the key at once. */
    @Override
    public void close() {
        closed = true;
        // shutdown, not shutdownNow: interrupting a refresh in flight would lose the lease id to revoke
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LeaseRenewal.Held held = lease;
        if (held != null) {
            long id = held.id();
            try {
                client.getLeaseClient().revoke(id).get(5, TimeUnit.SECONDS);
                log.info("revoked lease {} of {}", Long.toHexString(id), key);
            } catch (Exception e) {
                log.warn("cannot revoke lease of {}; it expires in {} s: {}", key, ttlSeconds, rootMessage(e));
            }
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.toString();
    }
}
