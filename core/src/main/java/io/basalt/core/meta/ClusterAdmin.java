package io.basalt.core.meta;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * What operators and the leading coordinator tell each other: requests (a full heal scan, a
 * rebalance) the leader removes once done, nodes being drained with the leader's progress,
 * run-time settings, and the status the leader publishes. Values are opaque text here; their
 * formats belong to the coordinator, which writes and reads them.
 */
public interface ClusterAdmin {

    /** An operator's one-off request to the leading coordinator. */
    enum Request {
        HEAL,
        REBALANCE
    }

    /** The nodes being drained, as of {@code revision}. */
    record Draining(Set<String> nodeIds, long revision) {}

    /** Makes (or makes again) the request, with {@code value} for the leader to read. */
    void request(Request request, String value);

    /** The request as read now; empty when none is pending. */
    Optional<Versioned<String>> pending(Request request);

    /** Whether the request is pending. */
    boolean isPending(Request request);

    /** Removes the request unless it was made again since read: a newer request is honoured too. */
    void complete(Request request, Versioned<String> asRead);

    /** Starts draining {@code nodeId} with {@code value} as its progress; false when it is already being drained. */
    boolean startDrain(String nodeId, String value);

    /** Stops draining {@code nodeId}; false when it was not being drained. */
    boolean cancelDrain(String nodeId);

    /** Every drain and its progress, by node id in key order. */
    Map<String, Versioned<String>> drains();

    /** Writes a drain's progress, only if nobody changed or cancelled it since read: a cancelled drain stays cancelled. */
    void updateDrain(Versioned<String> asRead, String value);

    /** Ids of the nodes being drained (their progress not read). */
    Draining draining();

    /** Calls {@code changed} on every change to the drains after {@code afterRevision}, {@code failed} if the watch breaks. */
    Subscription watchDrains(long afterRevision, Runnable changed, Consumer<Throwable> failed);

    /** The run-time setting {@code name} (e.g. {@code heal-rate-mbps}), empty when unset. */
    Optional<String> setting(String name);

    /** Sets the run-time setting {@code name} to {@code value}; the leader reads it again within its refresh time. */
    void putSetting(String name, String value);

    /** Publishes what {@code component} reports about itself, replacing what it published before. */
    void publishStatus(String component, String status);

    /** What {@code component} last published. */
    Optional<String> status(String component);

    /** A storage node a gateway avoids for now: why, and for how long from when it was reported. */
    record Suspect(String nodeId, String reporter, String reason) {}

    /**
     * Reports that {@code reporter} suspects {@code nodeId} for the next {@code ttl}, replacing its
     * earlier report; the report vanishes by itself when the time is up (or the reporter dies).
     * Asynchronous: callers on a request's path do not wait for etcd.
     */
    CompletableFuture<Void> reportSuspect(String nodeId, String reporter, String reason, Duration ttl);

    /** The suspicions reported and not yet expired, by node id in key order. */
    List<Suspect> suspects();

    /** The id of the coordinator leading now, empty when none is. */
    Optional<String> leader();
}
