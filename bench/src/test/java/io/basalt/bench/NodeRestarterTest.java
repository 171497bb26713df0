package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NodeRestarterTest {
    @Test
    void readsTheGatewaysLiveNodeCount() {
        assertTrue(NodeRestarter.allNodesLive("etcd=ok nodes=6 writable=6 quorum=5", 6));
        assertFalse(NodeRestarter.allNodesLive("etcd=ok nodes=5 writable=5 quorum=5", 6));
        assertFalse(NodeRestarter.allNodesLive("etcd=ok nodes=16 writable=6", 6));
        assertFalse(NodeRestarter.allNodesLive("", 6));
    }
}
