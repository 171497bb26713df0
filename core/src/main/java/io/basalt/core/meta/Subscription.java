package io.basalt.core.meta;

/** A watch on metadata; closing it stops the callbacks. */
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
