package io.basalt.core.placement;

/** Fewer live storage nodes than a shard set needs. */
public final class InsufficientNodesException extends RuntimeException {
    public InsufficientNodesException(int needed, int live) {
        super("need " + needed + " live storage nodes, have " + live);
    }
}
