package io.basalt.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FreePortsTest {

    @Test
    void portsLieBelowTheEphemeralRangeAreDistinctAndBindable() throws Exception {
        int[] ports = FreePorts.allocate(200);
        assertEquals(200, Arrays.stream(ports).distinct().count(), "never the same port twice");
        int low = FreePorts.ephemeralLow();
        for (int p : ports) assertTrue(p >= 1024 && p < low, p + " lies outside 1024.." + low);
        try (ServerSocket s = new ServerSocket(ports[0], 1, InetAddress.getLoopbackAddress())) {
            assertEquals(ports[0], s.getLocalPort());
        }
    }

    @Test
    void aPortInUseIsNotHandedOut() throws Exception {
        int taken = FreePorts.allocate();
        try (ServerSocket s = new ServerSocket(taken, 1, InetAddress.getLoopbackAddress())) {
            assertTrue(FreePorts.firstFreeFrom(taken) > taken, "firstFreeFrom skips a listening port");
        }
    }
}
