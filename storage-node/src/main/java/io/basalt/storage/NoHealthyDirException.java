package io.basalt.storage;

/** Every data dir of the node has failed: it can take no new shard. */
final class NoHealthyDirException extends DataDirFailedException {
    NoHealthyDirException() {
        super("no healthy data dir left on this node", null);
    }
}
