package io.basalt.core.meta;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Campaigns for leadership on an etcd election key with a lease kept alive, and campaigns
 * again whenever leadership is lost (lease expired or revoked, leader key gone, etcd
 * unreachable for longer than the lease TTL). Callbacks run on the election thread.
 */
final class EtcdLeaderElection implements LeaderElection {

    private static final Logger log = LogManager.getLogger(EtcdLeaderElection.class);
    private static final long CHECK_MILLIS = 1000;

    private final Client client;
    private final ByteSequence name;
    private final ByteSequence proposal;
    private final long ttlSeconds;
    private final Listener listener;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean leader;
    private volatile LeaderKey leaderKey;
    private volatile long leaseId;

    EtcdLeaderElection(Client client, String electionKey, String id, long ttlSeconds, Listener listener) {
        this.client = client;
        this.name = ByteSequence.from(electionKey, StandardCharsets.UTF_8);
        this.proposal = ByteSequence.from(id, StandardCharsets.UTF_8);
        this.ttlSeconds = ttlSeconds;
        this.listener = listener;
        this.thread = new Thread(this::run, "leader-election");
        this.thread.setDaemon(true);
    }

    @Override
    public LeaderElection start() {
        thread.start();
        return this;
    }

    @Override
    public boolean isLeader() {
        return leader;
    }

    private void run() {
        while (!closed) {
            CloseableClient keepAlive = null;
            try {
                leaseId = client.getLeaseClient()
                        .grant(ttlSeconds)
                        .get(10, TimeUnit.SECONDS)
                        .getID();
                KeepAliveObserver lease = new KeepAliveObserver();
                keepAlive = client.getLeaseClient().keepAlive(leaseId, lease);
                LeaderKey key = campaign(lease);
                if (key == null) continue;
                leaderKey = key;
                leader = true;
                listener.elected();
                holdLeadership(key, lease);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                if (!closed) log.warn("election: {}", e.toString());
            } finally {
                stepDown(keepAlive);
            }
            if (!closed) sleepQuietly(1000);
        }
    }

    /** Blocks until elected; null when the lease was lost or the election closed meanwhile. */
    private LeaderKey campaign(KeepAliveObserver lease) throws Exception {
        CompletableFuture<CampaignResponse> f = client.getElectionClient().campaign(name, leaseId, proposal);
        while (true) {
            if (closed || lease.lost) {
                f.cancel(true);
                return null;
            }
            try {
                return f.get(CHECK_MILLIS, TimeUnit.MILLISECONDS).getLeader();
            } catch (TimeoutException e) {
                // still waiting for the current leader to go
            }
        }
    }

    /** Returns when leadership is lost or the election is closed. */
    private void holdLeadership(LeaderKey key, KeepAliveObserver lease) throws InterruptedException {
        long lastConfirmed = System.nanoTime();
        while (!closed && !lease.lost) {
            Thread.sleep(CHECK_MILLIS);
            try {
                GetResponse r = client.getKVClient().get(key.getKey()).get(CHECK_MILLIS * 3, TimeUnit.MILLISECONDS);
                if (r.getKvs().isEmpty() || r.getKvs().get(0).getLease() != leaseId) {
                    log.warn("leader key is gone");
                    return;
                }
                lastConfirmed = System.nanoTime();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastConfirmed);
                if (silentMillis > ttlSeconds * 1000) {
                    log.warn("etcd unreachable for {} ms, longer than the lease TTL: stepping down", silentMillis);
                    return;
                }
            }
        }
    }

    private void stepDown(CloseableClient keepAlive) {
        if (leader) {
            leader = false;
            try {
                listener.lost();
            } catch (RuntimeException e) {
                log.warn("leadership-lost callback failed: {}", e.toString());
            }
        }
        if (keepAlive != null) keepAlive.close();
        LeaderKey key = leaderKey;
        leaderKey = null;
        long lease = leaseId;
        leaseId = 0;
        try {
            if (key != null) client.getElectionClient().resign(key).get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the lease revocation below removes the key anyway
        }
        try {
            if (lease != 0) client.getLeaseClient().revoke(lease).get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the lease expires on its own
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Resigns (if leading) and stops campaigning. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class KeepAliveObserver implements StreamObserver<LeaseKeepAliveResponse> {
        volatile boolean lost;

        @Override
        public void onNext(LeaseKeepAliveResponse r) {
            if (r.getTTL() <= 0) lose("lease expired");
        }

        @Override
        public void onError(Throwable t) {
            lose("lease keep-alive failed: " + t);
        }

        @Override
        public void onCompleted() {
            lose("lease keep-alive ended");
        }

        private void lose(String why) {
            if (!closed && !lost) log.warn("{}", why);
            lost = true;
        }
    }
}
