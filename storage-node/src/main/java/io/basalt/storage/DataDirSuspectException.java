package io.basalt.storage;

import java.io.IOException;

/** A shard operation needs a data dir whose disk has stopped answering for now; try elsewhere or later. */
final class DataDirSuspectException extends IOException {
    DataDirSuspectException(String message) {
        super(message);
    }
}
