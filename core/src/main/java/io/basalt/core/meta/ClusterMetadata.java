package io.basalt.core.meta;

/**
 * All of a cluster's metadata, reached through one connection: a process connects once where it
 * wires itself up and hands each part the narrow interface it needs. Closing it closes the
 * connection, when it was opened for this.
 */
public interface ClusterMetadata extends AutoCloseable {

    MetadataStore store();

    HealQueue heals();

    GarbageQueue garbage();

    ClusterAdmin admin();

    NodeRegistry nodes();

    RecordInventory inventory();

    AccessStore access();

    /** A campaign of {@code candidateId} for the coordinator's leadership, not yet started. */
    LeaderElection election(String candidateId, long ttlSeconds, LeaderElection.Listener listener);

    /** An id of the metadata cluster: the same for every process of one cluster and across restarts. */
    String clusterId();

    @Override
    void close();
}
