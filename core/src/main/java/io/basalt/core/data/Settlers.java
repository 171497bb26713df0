package io.basalt.core.data;

import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * Virtual threads for what a read or a write finishes after its caller has moved on (a raced copy's answer, a
 * committed write's trailing shards): each mostly waits, and may end in an etcd write, so never on a transport's
 * thread nor on the request's.
 */
final class Settlers {
    static final Executor EXECUTOR = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("settle-", 0).factory());

    private Settlers() {}
}
