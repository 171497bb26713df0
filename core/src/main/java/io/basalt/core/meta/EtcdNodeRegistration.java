package io.basalt.core.meta;

import io.basalt.proto.meta.NodeRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
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
 * All etcd work runs on one scheduler thread, so lease state needs no locking.
 */
final class EtcdNodeRegistration implements NodeRegistry.Registration {
    private static final Logger log = LogManager.getLogger(EtcdNodeRegistration.class);
    static final Duration REFRESH_INTERVAL = Duration.ofSeconds(10);
    private static final Duration RETRY_INTERVAL = Duration.ofSeconds(1);
    private static final long OP_TIMEOUT_MS = 5_000;

    private final Client client;
    private final ByteSequence key;
    private final long ttlSeconds;
    private final Supplier<NodeRecord> record;
    private final ScheduledThreadPoolExecutor scheduler;
    private long leaseId; // 0: none held
    private CloseableClient keepAlive;
    private volatile boolean closed;

    private EtcdNodeRegistration(Client client, String key, Duration ttl, Supplier<NodeRecord> record) {
        this.client = client;
        this.key = ByteSequence.from(key, StandardCharsets.UTF_8);
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
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
     * @param key the node's key, {@code <prefix>nodes/<id>}
     * @param record current record; called at each refresh so free space is fresh
     */
    static EtcdNodeRegistration start(Client client, String key, Duration ttl, Supplier<NodeRecord> record) {
        EtcdNodeRegistration registration = new EtcdNodeRegistration(client, key, ttl, record);
        try {
            registration.scheduler.submit(registration::refreshAndReschedule).get();
        } catch (Exception e) {
            registration.close();
            throw new IllegalStateException("cannot start node registration", e);
        }
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
            if (leaseId == 0) {
                grantLease();
            }
            client.getKVClient()
                    .put(
                            key,
                            ByteSequence.from(record.get().toByteArray()),
                            PutOption.builder().withLeaseId(leaseId).build())
                    .get(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            // Could be etcd down or our lease expired; a fresh lease on the next try covers both.
            log.warn("cannot register {} in etcd, retrying: {}", key, rootMessage(e));
            dropLease();
            return false;
        }
    }

    private void grantLease() throws Exception {
        long id = client.getLeaseClient()
                .grant(ttlSeconds)
                .get(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .getID();
        leaseId = id;
        keepAlive = client.getLeaseClient().keepAlive(id, new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse response) {}

            @Override
            public void onError(Throwable t) {
                if (!closed) {
                    log.warn("lease {} keep-alive failed: {}", Long.toHexString(id), rootMessage(t));
                }
                leaseLost(id);
            }

            @Override
            public void onCompleted() {
                leaseLost(id);
            }
        });
        log.info("registered {} with lease {} (ttl {} s)", key, Long.toHexString(id), ttlSeconds);
    }

    private void leaseLost(long id) {
        try {
            scheduler.execute(() -> onLeaseLost(id));
        } catch (RejectedExecutionException e) {
            // closing: the lease is being revoked anyway
        }
    }

    private void onLeaseLost(long id) {
        if (leaseId == id && !closed) {
            dropLease();
            tryRefresh(); // re-register now; the periodic refresh retries if this fails
        }
    }

    private void dropLease() {
        if (keepAlive != null) {
            keepAlive.close();
            keepAlive = null;
        }
        leaseId = 0;
    }

    /** Stops refreshing and revokes the lease, which removes the key at once. */
    @Override
    public void close() {
        closed = true;
        // shutdown, not shutdownNow: interrupting a refresh in flight would lose the lease id to revoke
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long id = leaseId;
        if (keepAlive != null) {
            keepAlive.close();
        }
        if (id != 0) {
            try {
                client.getLeaseClient().revoke(id).get(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
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
