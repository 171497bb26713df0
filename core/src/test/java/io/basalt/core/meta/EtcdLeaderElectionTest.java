package io.basalt.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.EtcdProcess;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's leadership survives an etcd follower freezing (SIGSTOP, its connections left open, as a frozen or
 * cut-off host leaves them) for twice the election lease's TTL, on a real three-member cluster: the lease is renewed
 * through every member, so the two that answer keep it. Each follower is frozen in turn, so whichever one jetcd's
 * single keep-alive stream would have used is frozen once.
 *
 * <p>Not the raft leader: etcd 3.4.23 (Debian's) has a leader that resumes after a freeze longer than a lease's TTL
 * revoke the leases it thinks expired, through the new leader (etcd-io/etcd#15247, fixed by #16822 in later
 * releases); no client can keep a lease through that.
 */
class EtcdLeaderElectionTest {

    private static final long TTL_SECONDS = 4;

    @Test
    void aFrozenMemberDoesNotCostTheLeaderItsLeadership() throws Exception {
        List<EtcdProcess> cluster = EtcdProcess.startCluster(3);
        List<String> endpoints = cluster.stream().map(EtcdProcess::endpoint).toList();
        AtomicInteger elected = new AtomicInteger(), lost = new AtomicInteger();
        LeaderElection.Listener listener = new LeaderElection.Listener() {
            @Override
            public void elected() {
                elected.incrementAndGet();
            }

            @Override
            public void lost() {
                lost.incrementAndGet();
            }
        };
        try (EtcdMetadata meta = EtcdMetadata.connect(endpoints, new Keys("/election-test/"));
                LeaderElection election =
                        meta.election("c1", TTL_SECONDS, listener).start()) {
            for (int i = 0; i < 100 && !election.isLeader(); i++) Thread.sleep(100);
            assertTrue(election.isLeader(), "elected with every member answering");
            int leader = EtcdLeader.indexIn(cluster);
            for (int i = 0; i < cluster.size(); i++) {
                if (i == leader) continue;
                EtcdProcess member = cluster.get(i);
                member.freeze();
                try {
                    Thread.sleep(2 * TTL_SECONDS * 1000);
                } finally {
                    member.resume();
                }
                Thread.sleep(1_000);
                assertEquals(0, lost.get(), "leadership lost while " + member.endpoint() + " was frozen");
            }
            assertTrue(election.isLeader());
            assertEquals(1, elected.get());
        } finally {
            cluster.forEach(EtcdProcess::close);
        }
    }
}
