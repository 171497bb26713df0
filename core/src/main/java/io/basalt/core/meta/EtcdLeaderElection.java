package io.basalt.core.meta;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.kv.GetResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Campaigns for leadership on an etcd election key with a lease kept alive, and campaigns
 * again whenever leadership is lost (lease expired or revoked, leader key gone, etcd
 * unreachable for longer than the lease TTL). Callbacks run on the election thread.
 *
 * <p>The lease is renewed three times per TTL through every etcd member at once ({@link LeaseRenewal}), as node
 * leases are: jetcd's one keep-alive stream, on a member that froze, would let it expire and hand leadership over
 * though two members of three answered all along.
 */
final class EtcdLeaderElection implements LeaderElection {

    private static final Logger log = LogManager.getLogger(EtcdLeaderElection.class);
    private static final long CHECK_MILLIS = 1000;

    private final Client client;
    private final LeaseRenewal renewal;
    private final ByteSequence name;
    private final ByteSequence proposal;
    private final long ttlSeconds;
    private final Listener listener;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean leader;
    private volatile LeaderKey leaderKey;
    private volatile long leaseId;

    EtcdLeaderElection(
            Client client, LeaseRenewal renewal, String electionKey, String id, long ttlSeconds, Listener listener) {
        this.client = client;
        this.renewal = renewal;
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
            LeaseKeeper keeper = null;
            try {
                long asked = System.nanoTime();
                leaseId = client.getLeaseClient()
                        .grant(ttlSeconds)
                        .get(10, TimeUnit.SECONDS)
                        .getID();
                keeper = new LeaseKeeper(renewal.hold(leaseId, ttlSeconds, asked));
                LeaderKey key = campaign(keeper);
                if (key == null) continue;
                leaderKey = key;
                leader = true;
                listener.elected();
                holdLeadership(key, keeper);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                if (!closed) log.warn("election: {}", e.toString());
            } finally {
                stepDown(keeper);
            }
            if (!closed) sleepQuietly(1000);
        }
    }

    /** Blocks until elected; null when the lease was lost or the election closed meanwhile. */
    private LeaderKey campaign(LeaseKeeper lease) throws Exception {
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
    private void holdLeadership(LeaderKey key, LeaseKeeper lease) throws InterruptedException {
        long lastConfirmed = System.nanoTime();
        while (!closed && !lease.lost) {
            Thread.sleep(CHECK_MILLIS);
            try {
                GetResponse r = client.getKVClient().get(key.getKey()).get(checkTimeoutMillis(), TimeUnit.MILLISECONDS);
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

    /** A check unanswered (a frozen member) costs less than a TTL, so the next, on another member, comes in time. */
    private long checkTimeoutMillis() {
        return Math.min(CHECK_MILLIS * 3, Math.max(100, ttlSeconds * 1000 / 3));
    }

    private void stepDown(LeaseKeeper keeper) {
        if (leader) {
            leader = false;
            try {
                listener.lost();
            } catch (RuntimeException e) {
                log.warn("leadership-lost callback failed: {}", e.toString());
            }
        }
        if (keeper != null) keeper.close();
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

    /**
     * Renews the campaign's lease three times per TTL ({@link LeaseRenewal}) on a thread of its own, and says when it
     * is lost: etcd said it is gone, or no member renewed it for a whole TTL (it may have expired).
     */
    private final class LeaseKeeper implements AutoCloseable {
        private final LeaseRenewal.Held lease;
        private final long periodMillis = Math.max(1, ttlSeconds * 1000 / 3);
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "leader-lease");
            t.setDaemon(true);
            return t;
        });
        volatile boolean lost;

        LeaseKeeper(LeaseRenewal.Held lease) {
            this.lease = lease;
            timer.scheduleWithFixedDelay(this::renew, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        }

        private void renew() {
            if (lost || closed) return;
            try {
                switch (lease.renew(Duration.ofMillis(periodMillis))) {
                    case RENEWED, UNANSWERED -> {}
                    case EXPIRED -> lose("lease expired");
                    case LAPSED -> lose("no etcd member renewed the lease within its " + ttlSeconds + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void lose(String why) {
            if (!closed && !lost) log.warn("{}", why);
            lost = true;
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
