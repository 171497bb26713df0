package io.basalt.storage;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One data directory, usually one local disk: {@code shards/<fan-out>/<id>} for committed shards
 * and {@code tmp/} for writes in flight. tmp/ lives on the same file system so rename is atomic.
 */
final class DataDir {
    private static final Logger log = LogManager.getLogger(DataDir.class);

    private final Path root;
    private final Path shards;
    private final Path tmp;
    private final FileStore fileStore;

    private DataDir(Path root) throws IOException {
        this.root = root;
        this.shards = root.resolve("shards");
        this.tmp = root.resolve("tmp");
        Files.createDirectories(shards);
        Files.createDirectories(tmp);
        this.fileStore = Files.getFileStore(root);
    }

    /** Opens (creating if needed) a data dir and drops temp files left by a crash. */
    static DataDir open(Path root) throws IOException {
        DataDir dir = new DataDir(root.toAbsolutePath().normalize());
        dir.removeStaleTempFiles();
        return dir;
    }

    private void removeStaleTempFiles() throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(tmp)) {
            for (Path file : stale) {
                log.info("removing unfinished write {}", file);
                Files.deleteIfExists(file);
            }
        }
    }

    Path root() {
        return root;
    }

    Path tmp() {
        return tmp;
    }

    FileStore fileStore() {
        return fileStore;
    }

    Path shardPath(String shardId) {
        return shards.resolve(ShardId.fanOut(shardId)).resolve(shardId);
    }

    /** A unique temp file name; the id prefix makes stray files easy to attribute. */
    Path newTempFile(String shardId) {
        return tmp.resolve(shardId + "." + UUID.randomUUID() + ".tmp");
    }

    long usableBytes() {
        try {
            return fileStore.getUsableSpace();
        } catch (IOException e) {
            log.warn("cannot read free space of {}: {}", root, e.toString());
            return 0;
        }
    }

    /** Fan-out directories in name order; the scrubber walks one at a time so memory stays flat. */
    List<Path> fanOutDirs() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> fanOuts = Files.newDirectoryStream(shards, Files::isDirectory)) {
            fanOuts.forEach(out::add);
        }
        out.sort(null);
        return out;
    }

    /** Ids of all committed shards in this dir whose id starts with {@code prefix}. */
    List<String> shardIds(String prefix) throws IOException {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> fanOuts = Files.newDirectoryStream(shards)) {
            for (Path fanOut : fanOuts) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(fanOut, p -> p.getFileName().toString().startsWith(prefix))) {
                    files.forEach(f -> ids.add(f.getFileName().toString()));
                }
            }
        }
        return ids;
    }
}
