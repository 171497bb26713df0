package io.basalt.core.meta;

/**
 * A value as read, with the revision a conditional write or delete compares against: consuming a
 * queue entry or an operator's request only if nobody changed it since it was read is what keeps
 * a newer report or request from being lost.
 *
 * @param name     what it is within its kind: a shard set (heal queue), a record id (garbage queue), a node id (drains)
 * @param value    the value; null when the stored bytes could not be read as one
 * @param revision the revision of its last change when it was read
 */
public record Versioned<T>(String name, T value, long revision) {

    public boolean readable() {
        return value != null;
    }
}
