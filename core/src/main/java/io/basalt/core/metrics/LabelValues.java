package io.basalt.core.metrics;

import java.util.Comparator;
import java.util.List;

/** Series are written in label-value order so scrapes are stable and readable. */
final class LabelValues {
    static final Comparator<List<String>> ORDER = (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) return c;
        }
        return Integer.compare(a.size(), b.size());
    };

    private LabelValues() {}
}
