package io.basalt.core.data;

import io.basalt.core.shard.RemoteShardReader;

/**
 * How many messages each shard stream of one read may have received ahead of the writer: a
 * budget in bytes per read, shared by its streams, so a GET holds the same bounded memory
 * whatever the erasure layout and however large the object (16 GETs in flight hold at most 16
 * budgets, plus the transport's flow-control window per stream).
 */
final class ReadWindow {

    /** Received, unwritten bytes one read may hold over all its shard streams. */
    static final int BUDGET_BYTES = 4 << 20;

    private static final int MAX_MESSAGES = 16;

    private ReadWindow() {}

    /**
     * @param chunkSize the stored chunk size: the node sends at most one chunk per message
     * @param streamBytes the bytes the stream will send in all: no use asking for more messages
     */
    static int messages(int chunkSize, int streams, long streamBytes) {
        long byBudget = BUDGET_BYTES / Math.max(1, streams) / Math.max(1, chunkSize);
        long needed = streamBytes / Math.max(1, chunkSize) + 2; // an unaligned range touches one chunk more
        long n = Math.min(Math.min(byBudget, MAX_MESSAGES), needed);
        return (int) Math.max(n, Math.min(RemoteShardReader.DEFAULT_WINDOW, needed));
    }
}
