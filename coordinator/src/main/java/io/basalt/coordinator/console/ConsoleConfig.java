package io.basalt.coordinator.console;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The web console's settings (all from the coordinator's flags).
 *
 * @param listen HOST:PORT the console serves (port 0 picks a free one)
 * @param gateway the S3 endpoint every bucket and object action goes to, signed with the signed-in key
 * @param gatewayMetrics the gateways' metrics endpoints (…/metrics) the overview reads throughput from; may be empty
 * @param region the region requests are signed for
 * @param tlsCert with {@code tlsKey}: serve HTTPS with this PEM chain (the session cookie is then Secure); null for HTTP
 * @param sessionIdle a session unused this long is gone
 */
public record ConsoleConfig(
        String listen,
        URI gateway,
        List<URI> gatewayMetrics,
        String region,
        Path tlsCert,
        Path tlsKey,
        Duration sessionIdle) {

    public static final Duration DEFAULT_SESSION_IDLE = Duration.ofMinutes(30);

    public ConsoleConfig {
        gatewayMetrics = List.copyOf(gatewayMetrics);
        if ((tlsCert == null) != (tlsKey == null))
            throw new IllegalArgumentException("--console-tls-cert and --console-tls-key go together");
    }

    /** HTTP on {@code listen}, the default region and session expiry. */
    public static ConsoleConfig of(String listen, URI gateway, List<URI> gatewayMetrics) {
        return new ConsoleConfig(listen, gateway, gatewayMetrics, "us-east-1", null, null, DEFAULT_SESSION_IDLE);
    }
}
