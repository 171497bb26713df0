package io.basalt.gateway;

import io.basalt.core.metrics.Counter;
import io.basalt.core.metrics.Histogram;
import io.basalt.core.metrics.MetricRegistry;
import io.undertow.server.HttpServerExchange;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway's request metrics, recorded when an exchange completes: by S3 operation (as the
 * router named it) and status class, latency to the end of the response, body bytes in and out.
 */
final class GatewayMetrics {
    final MetricRegistry registry = new MetricRegistry();
    private final Counter requests = registry.counter(
            "basalt_gateway_requests_total",
            "S3 requests answered, by operation and status class (2xx, 3xx, 4xx, 5xx).",
            "operation",
            "status");
    private final Counter errors = registry.counter(
            "basalt_gateway_errors_total",
            "S3 error answers, by operation and S3 error code (NoSuchKey, AccessDenied, SlowDown, InternalError, ...).",
            "operation",
            "code");
    private final Histogram latency = registry.histogram(
            "basalt_gateway_request_seconds",
            "Time from a request's arrival to the end of its response, by operation.",
            Histogram.LATENCY_SECONDS,
            "operation");
    private final Counter received =
            registry.counter("basalt_gateway_received_bytes_total", "Request body bytes read by S3 operations.");
    private final Counter sent = registry.counter("basalt_gateway_sent_bytes_total", "Response body bytes sent.");
    private final AtomicLong inFlight = new AtomicLong();

    GatewayMetrics() {
        registry.gauge("basalt_gateway_requests_in_flight", "S3 requests being served now.", inFlight::get);
    }

    /** Starts tracking one request; its numbers are recorded once the exchange completes. */
    Request begin(HttpServerExchange ex) {
        Request r = new Request(System.nanoTime());
        inFlight.incrementAndGet();
        ex.addExchangeCompleteListener((exchange, next) -> {
            try {
                inFlight.decrementAndGet();
                // before the request count, so a reader that saw the request also sees its error
                if (r.errorCode != null) errors.labels(r.operation, r.errorCode).inc();
                requests.labels(r.operation, exchange.getStatusCode() / 100 + "xx")
                        .inc();
                latency.labels(r.operation).observeSince(r.startNanos);
                received.add(r.bodyBytes.get());
                sent.add(exchange.getResponseBytesSent());
            } finally {
                next.proceed();
            }
        });
        return r;
    }

    /** One request in flight: the router names its operation as soon as it knows it. */
    static final class Request {
        private final long startNanos;
        private final AtomicLong bodyBytes = new AtomicLong();
        private volatile String operation = "Unknown"; // e.g. a request that does not even parse
        private volatile String errorCode; // null unless the answer is an S3 error

        private Request(long startNanos) {
            this.startNanos = startNanos;
        }

        void operation(String name) {
            this.operation = name;
        }

        /** The S3 error code this request is answered with. */
        void error(String code) {
            this.errorCode = code;
        }

        /** The body as the handlers read it, counted. */
        InputStream count(InputStream body) {
            return new FilterInputStream(body) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) bodyBytes.incrementAndGet();
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0) bodyBytes.addAndGet(n);
                    return n;
                }

                @Override
                public long skip(long n) throws IOException {
                    long skipped = super.skip(n);
                    bodyBytes.addAndGet(skipped);
                    return skipped;
                }
            };
        }
    }
}
