package io.basalt.core.meta;

import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.Client;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Which member of a test's etcd cluster is the raft leader now. */
final class EtcdLeader {

    private EtcdLeader() {}

    static int indexIn(List<EtcdProcess> cluster) throws Exception {
        try (Client any = Etcd.connect(List.of(cluster.get(0).endpoint()))) {
            for (int i = 0; i < cluster.size(); i++) {
                var status = any.getMaintenanceClient()
                        .statusMember(cluster.get(i).endpoint())
                        .get(10, TimeUnit.SECONDS);
                if (status.getLeader() == status.getHeader().getMemberId()) return i;
            }
        }
        throw new AssertionError("no member is the leader");
    }
}
