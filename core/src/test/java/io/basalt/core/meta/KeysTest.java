package io.basalt.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Keys are shared by every process: they must not depend on the machine's locale. */
class KeysTest {

    @Test
    void partKeysUseAsciiDigitsInEveryLocale() {
        Locale saved = Locale.getDefault();
        try {
            Keys keys = new Keys("/basalt/");
            for (Locale l : new Locale[] {
                Locale.ROOT,
                Locale.forLanguageTag("ar-SA"),
                Locale.forLanguageTag("hi-IN-u-nu-deva"),
                Locale.forLanguageTag("tr-TR"),
                Locale.forLanguageTag("fa-IR")
            }) {
                Locale.setDefault(l);
                assertEquals("/basalt/parts/u1/00042", keys.part("u1", 42), l.toString());
                // bytewise order of part keys is part-number order
                assertTrue(keys.part("u1", 9).compareTo(keys.part("u1", 10)) < 0, l.toString());
            }
        } finally {
            Locale.setDefault(saved);
        }
    }
}
