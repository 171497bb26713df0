package io.basalt.core.erasure;

/** Thrown when fewer than {@code dataShards} shards survive, so the stripe cannot be rebuilt. */
public class NotEnoughShardsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int required;
    private final int present;

    public NotEnoughShardsException(int required, int present) {
        super("need " + required + " shards to reconstruct, only " + present + " present");
        this.required = required;
        this.present = present;
    }

    /** Shards needed to reconstruct (the number of data shards). */
    public int required() {
        return required;
    }

    /** Shards that were present. */
    public int present() {
        return present;
    }
}
