package io.basalt.storage;

import java.io.IOException;

/** A shard operation hit a data dir that has failed; the shard, if it was there, is lost. */
class DataDirFailedException extends IOException {
    DataDirFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
