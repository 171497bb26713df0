package io.basalt.coordinator.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class GatewayThroughputTest {

    @Test
    void sumsTheCountersOverEveryLabelSet() {
        double[] sums = new double[6];
        GatewayThroughput.add("""
                # HELP basalt_gateway_requests_total S3 requests.
                # TYPE basalt_gateway_requests_total counter
                basalt_gateway_requests_total{operation="PutObject",status="2xx"} 3
                basalt_gateway_requests_total{operation="GetObject",status="2xx"} 4
                basalt_gateway_received_bytes_total 1024
                basalt_gateway_sent_bytes_total 2048
                basalt_gateway_request_seconds_bucket{operation="GetObject",le="0.001"} 1
                basalt_gateway_request_seconds_sum{operation="GetObject"} 0.5
                basalt_gateway_request_seconds_count{operation="GetObject"} 4
                basalt_gateway_requests_in_flight 2
                basalt_gateway_live_nodes 6
                """, sums);
        assertArrayEquals(new double[] {7, 1024, 2048, 0.5, 4, 2}, sums);
    }
}
