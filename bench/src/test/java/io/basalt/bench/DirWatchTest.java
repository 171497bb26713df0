package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DirWatchTest {
    private static String metrics(String d2Healthy, String d2Suspect) {
        StringBuilder b = new StringBuilder();
        b.append("# TYPE basalt_node_data_dir_healthy gauge\n");
        b.append("basalt_node_data_dir_healthy{dir=\"/b/node-6/d1\"} 1\n");
        b.append("basalt_node_data_dir_healthy{dir=\"/b/node-6/d2\"} ")
                .append(d2Healthy)
                .append('\n');
        b.append("# TYPE basalt_node_data_dir_suspect gauge\n");
        b.append("basalt_node_data_dir_suspect{dir=\"/b/node-6/d1\"} 0\n");
        // a failed dir has no suspect sample
        if (d2Suspect != null)
            b.append("basalt_node_data_dir_suspect{dir=\"/b/node-6/d2\"} ")
                    .append(d2Suspect)
                    .append('\n');
        return b.toString();
    }

    @Test
    void stateOfADirFromItsNodesMetrics() {
        Path d2 = Path.of("/b/node-6/d2");
        assertEquals(DirWatch.State.HEALTHY, DirWatch.state(metrics("1", "0"), d2));
        assertEquals(DirWatch.State.SUSPECT, DirWatch.state(metrics("1", "1"), d2));
        assertEquals(DirWatch.State.FAILED, DirWatch.state(metrics("0", null), d2));
        assertEquals(DirWatch.State.HEALTHY, DirWatch.state(metrics("0", null), Path.of("/b/node-6/d1")));
        assertEquals(DirWatch.State.UNKNOWN, DirWatch.state(metrics("1", "0"), Path.of("/b/node-5/d1")));
        assertEquals(DirWatch.State.UNKNOWN, DirWatch.state("", d2));
    }
}
