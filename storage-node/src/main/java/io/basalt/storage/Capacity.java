package io.basalt.storage;

/** Free and total bytes of the file systems behind a node's data dirs. */
record Capacity(long freeBytes, long totalBytes) {}
