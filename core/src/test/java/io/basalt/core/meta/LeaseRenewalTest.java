package io.basalt.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A lease renewed through every member lives while any member answers: against real etcd processes, one of them
 * stopped (SIGSTOP) so that its connections stay open and silent.
 */
class LeaseRenewalTest {

    private static final Duration WAIT = Duration.ofSeconds(3);

    @Test
    void aLiveLeaseIsRenewedAndARevokedOneIsReportedExpired() throws Exception {
        try (EtcdProcess etcd = EtcdProcess.start();
                Client client = Etcd.connect(List.of(etcd.endpoint()))) {
            LeaseRenewal renewal = LeaseRenewal.through(client);
            long id = client.getLeaseClient().grant(5).get(10, TimeUnit.SECONDS).getID();
            assertEquals(LeaseRenewal.Outcome.ALIVE, renewal.renew(id, WAIT));
            client.getLeaseClient().revoke(id).get(10, TimeUnit.SECONDS);
            assertEquals(LeaseRenewal.Outcome.EXPIRED, renewal.renew(id, WAIT));
        }
    }

    @Test
    void aSilentMemberNeitherBlocksNorDelaysARenewalThroughTheOthers() throws Exception {
        try (EtcdProcess live = EtcdProcess.start();
                EtcdProcess frozen = EtcdProcess.start();
                Client granter = Etcd.connect(List.of(live.endpoint()));
                Client toFrozen = Etcd.connect(List.of(frozen.endpoint()));
                Client toLive = Etcd.connect(List.of(live.endpoint()))) {
            long id =
                    granter.getLeaseClient().grant(5).get(10, TimeUnit.SECONDS).getID();
            LeaseRenewal both = LeaseRenewal.throughEach(List.of(toFrozen, toLive));
            LeaseRenewal frozenOnly = LeaseRenewal.throughEach(List.of(toFrozen));
            // connected and answering first, so that the stop leaves open connections, as a frozen host does
            assertEquals(LeaseRenewal.Outcome.ALIVE, both.renew(id, WAIT));
            assertEquals(LeaseRenewal.Outcome.EXPIRED, frozenOnly.renew(id, WAIT), "another cluster: no such lease");
            frozen.freeze();
            try {
                // the silent member is asked first: only an answer from the live one can make these ALIVE
                for (int i = 0; i < 3; i++) assertEquals(LeaseRenewal.Outcome.ALIVE, both.renew(id, WAIT));
                assertEquals(LeaseRenewal.Outcome.NO_ANSWER, frozenOnly.renew(id, WAIT));
            } finally {
                frozen.resume();
            }
        }
    }
}
