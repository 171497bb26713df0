package io.basalt.core.data;

import io.basalt.proto.meta.ErasureLayout;

/**
 * Which erasure layout a new segment gets. A body declared no longer than {@code smallThreshold}
 * bytes is stored as 1+m: Reed-Solomon with one data shard is m+1 copies (three for 4+2's m = 2),
 * which survive as many losses as k+m but cost a small object m+1 shard files instead of k+m, and
 * a read one shard instead of k. Everything else, and every body of unknown length, gets the
 * normal k+m. A threshold of 0 turns the small layout off.
 */
public record Layouts(ErasureLayout normal, long smallThreshold) {

    public Layouts {
        if (smallThreshold < 0) throw new IllegalArgumentException("negative small-object threshold " + smallThreshold);
    }

    /** 1+m with the normal layout's block size. */
    public ErasureLayout small() {
        return normal.toBuilder().setK(1).build();
    }

    /** @param declaredSize the body's length as declared before it was sent, -1 when unknown */
    public ErasureLayout forSize(long declaredSize) {
        return smallThreshold > 0 && declaredSize >= 0 && declaredSize <= smallThreshold ? small() : normal;
    }
}
