package io.basalt.storage;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One data directory, usually one local disk: {@code shards/<fan-out>/<id>} for committed shards
 * and {@code tmp/} for writes in flight. tmp/ lives on the same file system so rename is atomic.
 * A dir that fails I/O is marked failed for the rest of the process's life: a disk that threw
 * EIO once is not trusted again until an operator restarts the node.
 */
final class DataDir {
    private static final Logger log = LogManager.getLogger(DataDir.class);

    private final Path root;
    private final Path shards;
    private final Path tmp;
    private final FileStore fileStore;
    private volatile String failure; // null while healthy
    /** Whether shard files here are written with O_DIRECT (false where the file system refuses it, e.g. tmpfs). */
    private boolean directIo;
    /**
     * Test seam at the disk boundary: runs first in every background call on this dir (probe,
     * free-space read). A test sets it to wait on a latch, making those calls hang as they do on a
     * stuck disk while the files stay real; production never sets it.
     */
    private volatile Runnable beforeBackgroundCall = () -> {};

    private DataDir(Path root, boolean create) throws IOException {
        this.root = root;
        this.shards = root.resolve("shards");
        this.tmp = root.resolve("tmp");
        if (create) {
            Files.createDirectories(shards);
            Files.createDirectories(tmp);
            this.fileStore = Files.getFileStore(root);
        } else {
            this.fileStore = null;
        }
    }

    /** A dir that could not even be opened at start: kept (failed) so the node record names it. */
    static DataDir failedAtStart(Path root, String reason) {
        try {
            DataDir dir = new DataDir(root.toAbsolutePath().normalize(), false);
            dir.failure = reason;
            return dir;
        } catch (IOException e) {
            throw new AssertionError(e); // nothing touches the disk without create
        }
    }

    boolean failed() {
        return failure != null;
    }

    /** Why the dir failed, or null. */
    String failure() {
        return failure;
    }

    /** @return true if this call marked it (false: it already was) */
    synchronized boolean markFailed(String reason) {
        if (failure != null) return false;
        failure = reason;
        return true;
    }

    /**
     * Checks the disk still does what a shard write and read need: writes, fsyncs, reads back and
     * deletes a small file in tmp/, and lists shards/. Throws the I/O error if any step fails, but for
     * a write refused for want of room: a full disk answers, its shards stay readable, and its writes
     * are refused with RESOURCE_EXHAUSTED while new shards go to dirs with room (taking it out would
     * make every shard on it unreadable and heal them onto disks as full). Not synchronized: on a
     * hung disk it never returns, and {@link #markFailed} must still work. The store runs a dir's
     * probes one at a time on that dir's thread.
     */
    void probe() throws IOException {
        beforeBackgroundCall.run();
        try {
            writeAndReadBack();
        } catch (IOException e) {
            if (!noSpace(e)) throw e;
        }
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(shards)) {
            listing.iterator().hasNext();
        }
    }

    /** Whether {@code error} is ENOSPC or EDQUOT, which surface in Java only as an IOException's message. */
    static boolean noSpace(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("No space left on device") || m.contains("Disk quota exceeded")) return true;
        }
        return false;
    }

    /** The probe's write: a small file in tmp/, fsynced, read back and deleted. */
    private void writeAndReadBack() throws IOException {
        Path file = tmp.resolve("probe." + UUID.randomUUID() + ".tmp"); // a crash leaves it to removeStaleTempFiles
        byte[] written = UUID.randomUUID().toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (FileChannel channel = FileChannel.open(
                file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            ByteBuffer out = ByteBuffer.wrap(written);
            while (out.hasRemaining()) channel.write(out, out.position());
            channel.force(true);
            ByteBuffer in = ByteBuffer.allocate(written.length);
            while (in.hasRemaining() && channel.read(in, in.position()) >= 0) {
                // read until full or end of file
            }
            if (!Arrays.equals(in.array(), written)) throw new IOException("probe file read back different bytes");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Opens (creating if needed) a data dir and drops temp files left by a crash. */
    static DataDir open(Path root) throws IOException {
        DataDir dir = new DataDir(root.toAbsolutePath().normalize(), true);
        dir.removeStaleTempFiles();
        dir.directIo = dir.takesDirectIo();
        return dir;
    }

    /** True if shard files in this dir are opened with O_DIRECT; see {@link ShardFileLayout}. */
    boolean directIo() {
        return directIo;
    }

    /** Test seam: writes go through the page cache, as on a file system that refuses O_DIRECT. */
    void usePageCache() {
        directIo = false;
    }

    /** Writes one aligned block with O_DIRECT into tmp/: file systems without it (tmpfs, some FUSE) refuse. */
    private boolean takesDirectIo() {
        Path file = tmp.resolve("direct-io-probe." + UUID.randomUUID() + ".tmp");
        try {
            if (fileStore.getBlockSize() > ShardFileLayout.BLOCK
                    || ShardFileLayout.BLOCK % fileStore.getBlockSize() != 0) {
                log.info(
                        "data dir {}: block size {}, shard files written through the page cache",
                        root,
                        fileStore.getBlockSize());
                return false;
            }
            try (FileChannel channel = FileChannel.open(
                    file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
                ByteBuffer block =
                        ByteBuffer.allocateDirect(2 * ShardFileLayout.BLOCK).alignedSlice(ShardFileLayout.BLOCK);
                while (block.hasRemaining()) channel.write(block, block.position());
            }
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            log.info(
                    "data dir {}: no O_DIRECT here ({}), shard files written through the page cache",
                    root,
                    e.toString());
            return false;
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("cannot remove {}: {}", file, e.toString());
            }
        }
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

    /** Where the dir's pack files are (small shards, see {@link PackLog}). */
    Path packs() {
        return root.resolve("packs");
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

    /** Free and total bytes of the dir's file system, read now (a statfs: it hangs with the disk). */
    Capacity space() throws IOException {
        beforeBackgroundCall.run();
        return new Capacity(fileStore.getUsableSpace(), fileStore.getTotalSpace());
    }

    /** Sets the test seam run first in every probe and free-space read; see {@link #beforeBackgroundCall}. */
    void beforeBackgroundCall(Runnable hook) {
        beforeBackgroundCall = hook;
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
                try (DirectoryStream<Path> files = Files.newDirectoryStream(
                        fanOut, p -> p.getFileName().toString().startsWith(prefix))) {
                    files.forEach(f -> ids.add(f.getFileName().toString()));
                }
            }
        }
        return ids;
    }
}
