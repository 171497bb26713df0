package io.basalt.coordinator.console;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Throughput and latency of the gateways, from their Prometheus counters: each call scrapes every
 * gateway's metrics endpoint, sums the counters over them and divides what grew since the last call by
 * the time between. Modest on purpose: a rate over the refresh interval, mean latency, no history.
 */
final class GatewayThroughput {

    /** Rates since the previous call; null fields before there are two samples. */
    record Rates(
            Double requestsPerSecond,
            Double receivedBytesPerSecond,
            Double sentBytesPerSecond,
            Double meanLatencyMs,
            double inFlight,
            int gatewaysScraped,
            int gatewaysConfigured) {}

    private record Sample(long atNanos, double requests, double received, double sent, double seconds, double count) {}

    private static final Logger log = LogManager.getLogger(GatewayThroughput.class);
    private static final Duration MIN_INTERVAL = Duration.ofMillis(900);

    private final List<URI> endpoints;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Sample previous;
    private Rates last;

    GatewayThroughput(List<URI> endpoints) {
        this.endpoints = endpoints;
    }

    synchronized Rates rates() {
        long now = System.nanoTime();
        if (last != null && previous != null && now - previous.atNanos() < MIN_INTERVAL.toNanos()) return last;
        double[] sums = new double[6]; // requests, received, sent, latency seconds, latency count, in flight
        int scraped = 0;
        for (URI endpoint : endpoints) {
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(endpoint)
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) continue;
                add(r.body(), sums);
                scraped++;
            } catch (java.io.IOException e) {
                log.debug("cannot scrape {}: {}", endpoint, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Sample s = new Sample(now, sums[0], sums[1], sums[2], sums[3], sums[4]);
        Rates rates;
        if (previous == null || scraped == 0) {
            rates = new Rates(null, null, null, null, sums[5], scraped, endpoints.size());
        } else {
            double dt = (now - previous.atNanos()) / 1e9;
            double requests = Math.max(0, s.requests() - previous.requests());
            double count = s.count() - previous.count();
            rates = new Rates(
                    requests / dt,
                    Math.max(0, s.received() - previous.received()) / dt,
                    Math.max(0, s.sent() - previous.sent()) / dt,
                    count > 0 ? (s.seconds() - previous.seconds()) / count * 1000 : null,
                    sums[5],
                    scraped,
                    endpoints.size());
        }
        if (scraped > 0) previous = s;
        last = rates;
        return rates;
    }

    /** Adds the lines of the counters it reads (any labels) to {@code sums}. */
    static void add(String text, double[] sums) {
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            int end = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            if (space < 0) continue;
            String name = line.substring(0, end < 0 ? line.indexOf(' ') : end);
            int slot = switch (name) {
                case "basalt_gateway_requests_total" -> 0;
                case "basalt_gateway_received_bytes_total" -> 1;
                case "basalt_gateway_sent_bytes_total" -> 2;
                case "basalt_gateway_request_seconds_sum" -> 3;
                case "basalt_gateway_request_seconds_count" -> 4;
                case "basalt_gateway_requests_in_flight" -> 5;
                default -> -1;
            };
            if (slot < 0) continue;
            try {
                sums[slot] += Double.parseDouble(line.substring(space + 1).trim());
            } catch (NumberFormatException e) {
                // not a sample we can read: left out
            }
        }
    }
}
