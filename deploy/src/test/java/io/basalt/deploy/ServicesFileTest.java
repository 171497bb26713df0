package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * deploy/services.properties is read by ./basalt, the chaos cluster and the container entrypoint alike, and
 * none of them can check it before starting a process: so here, every service it names runs a real main
 * class from a real module with a heap the JVM accepts.
 */
class ServicesFileTest {

    static final List<String> SERVICES = List.of("gateway", "storage-node", "coordinator", "admin");

    @Test
    void everyServiceNamesAMainClassOfItsModuleAndAHeap() throws Exception {
        ServicesFile f = ServicesFile.load();
        for (String service : SERVICES) {
            String module = f.get(service + ".module");
            assertNotNull(module, service + ".module");
            assertTrue(Files.isRegularFile(Path.of("..", module, "pom.xml")), service + ": no module " + module);
            String main = f.get(service + ".main");
            assertNotNull(main, service + ".main");
            Method m = Class.forName(main).getMethod("main", String[].class);
            assertTrue(Modifier.isStatic(m.getModifiers()), main + ".main is static");
            String source = main.replace('.', '/') + ".java";
            assertTrue(
                    Files.isRegularFile(Path.of("..", module, "src/main/java", source)), main + " is not in " + module);
            String heap = f.get(service + ".heap");
            assertNotNull(heap, service + ".heap");
            assertTrue(heap.matches("[0-9]+[kmg]"), service + ".heap " + heap + " is no -Xmx size");
        }
    }

    @Test
    void theSharedOptionsAreThere() {
        ServicesFile f = ServicesFile.load();
        assertEquals(
                "-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager --enable-native-access=ALL-UNNAMED",
                f.get("jvm.always"),
                "every service logs java.util.logging through log4j2 and may load BoringSSL's native library");
        assertEquals(
                "--add-modules=jdk.incubator.vector",
                f.get("jvm.vector"),
                "every service runs the codec's vector kernel where the runtime has the module");
        assertTrue(f.get("jvm.defaults").contains("-XX:+UseSerialGC"), "jvm.defaults picks the collector");
        assertTrue(
                f.get("jvm.defaults").contains("-XX:MetaspaceSize=64m"),
                "no full collection for the first classes a service loads");
        assertTrue(
                f.get("container.jvm").contains("-XX:+ExitOnOutOfMemoryError"),
                "a container exits on OOM for a restart");
    }
}
