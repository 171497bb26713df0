package io.basalt.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Pulling a data dir out from under a running storage node, as a failed disk would. */
public final class LiveDirs {

    private LiveDirs() {}

    /**
     * Deletes {@code root} and everything below it while a node still uses it: its disk probe creates
     * and deletes files in tmp/ meanwhile, so a listed file may be gone and a new one may appear. Goes
     * over the tree until it is gone.
     */
    public static void delete(Path root) throws IOException {
        for (int attempt = 1; Files.exists(root); attempt++) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            } catch (DirectoryNotEmptyException | NoSuchFileException | UncheckedIOException e) {
                if (attempt == 20) throw e;
            }
        }
    }
}
