package io.basalt.chaos;

import io.basalt.core.meta.Etcd;
import io.basalt.core.meta.Keys;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * SIGSTOP one etcd member at a time, each in turn, for twice the storage nodes' lease TTL: its connections stay
 * open and go silent, as when its host freezes or is cut off. The other two keep a quorum, so no storage node may
 * lose its registration meanwhile: a node key deleted or re-created (its create revision changed) while only one
 * member was frozen is a violation, since the coordinator would have taken a live node for dead. Each freeze starts
 * once the registrations have settled from the last ({@link #settled}).
 */
public final class EtcdMemberFreeze implements Scenario {
    private static final int SETTLE_TRIES = 5;

    @Override
    public String name() {
        return "etcd-member-freeze";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        int member = rnd.nextInt(c.etcdCount());
        long frozenMs = TimeUnit.SECONDS.toMillis(2L * c.config().leaseTtlSeconds());
        // a node renews its lease three times per TTL, and registers again within one such interval
        long renewalMs = TimeUnit.SECONDS.toMillis(c.config().leaseTtlSeconds()) / 3 + 500;
        while (Scenario.sleepUntil(1000 + rnd.nextInt(1000), until)) {
            int i = member++ % c.etcdCount();
            List<String> others = new ArrayList<>(c.etcdEndpoints());
            others.remove(c.etcdEndpoint(i));
            try (Client etcd = Etcd.connect(others, c.tls())) {
                Map<String, Long> before = settled(etcd, renewalMs);
                if (before == null) { // every member up, and nodes still losing their registrations
                    h.violation(name() + ": node registrations kept changing for " + SETTLE_TRIES
                            + " renewal intervals with every etcd member up");
                    continue;
                }
                long start = System.nanoTime();
                c.pauseEtcd(i);
                try {
                    Thread.sleep(frozenMs);
                    Map<String, Long> after = registrations(etcd);
                    for (var e : before.entrySet()) {
                        Long now = after.get(e.getKey());
                        if (!e.getValue().equals(now)) {
                            h.violation(name() + ": " + e.getKey() + "'s registration "
                                    + (now == null ? "is gone" : "was deleted and made again")
                                    + " while only etcd-" + (i + 1) + " was frozen");
                        }
                    }
                } finally {
                    c.resumeEtcd(i);
                }
                h.fault(name(), "SIGSTOP etcd-" + (i + 1) + " for " + frozenMs + " ms", start, System.nanoTime());
            }
        }
    }

    /**
     * The registrations once they stayed the same over a renewal interval, or null if they kept changing. A member
     * resumed from a freeze as raft leader may revoke the leases it took for expired (etcd-io/etcd#15247, fixed by
     * #16822, not in Debian's 3.4.23), and the nodes register again within a renewal interval: etcd's doing after the
     * last freeze, not a loss during the next, which the baseline taken before the registrations settled would
     * blame it on.
     */
    private static Map<String, Long> settled(Client etcd, long renewalMs) throws Exception {
        Map<String, Long> last = registrations(etcd);
        for (int i = 0; i < SETTLE_TRIES; i++) {
            Thread.sleep(renewalMs);
            Map<String, Long> now = registrations(etcd);
            if (now.equals(last)) return now;
            last = now;
        }
        return null;
    }

    /** Every registered storage node's key, with the revision at which it was created. */
    private static Map<String, Long> registrations(Client etcd) throws Exception {
        String prefix = Keys.defaults().nodes();
        Map<String, Long> created = new TreeMap<>();
        for (KeyValue kv : etcd.getKVClient()
                .get(Etcd.bs(prefix), GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS)
                .getKvs()) {
            created.put(
                    kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()), kv.getCreateRevision());
        }
        return created;
    }
}
