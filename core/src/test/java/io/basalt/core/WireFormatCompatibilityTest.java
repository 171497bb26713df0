package io.basalt.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.shard.ShardInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What a release wrote must stay readable, and what it sends must stay understood: the etcd records
 * (meta.proto) and the storage nodes' wire (shard.proto) may only grow. Every field, enum value and
 * RPC of the last release's schema (a snapshot in test resources) must still be there with the same
 * number, type and cardinality (a field may be renamed), or its number be reserved (a field removed);
 * new ones may be added.
 * Nodes, gateways and coordinators of two adjacent releases then talk to each other during a rolling
 * upgrade, and records written by either are read by both (a field one does not know is skipped, and
 * kept by a read-modify-write). At a release, refresh the snapshot:
 * {@code ./mvnw -pl core test -Dtest=WireFormatCompatibilityTest -Dbasalt.wire-format.write=true}.
 */
class WireFormatCompatibilityTest {

    static final Path SNAPSHOT = Path.of("src/test/resources/wire-format.txt");
    static final List<FileDescriptor> FILES = List.of(
            NodeRecord.getDescriptor().getFile(), ShardInfo.getDescriptor().getFile());

    @Test
    void everythingTheLastReleaseHadIsStillThereOrReserved() throws IOException {
        Map<String, String> now = schema();
        if (Boolean.getBoolean("basalt.wire-format.write")) {
            Files.writeString(SNAPSHOT, String.join("\n", lines(now)) + "\n", StandardCharsets.UTF_8);
        }
        List<String> broken = new ArrayList<>();
        for (String line : Files.readAllLines(SNAPSHOT, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int space = line.indexOf(' ');
            String id = line.substring(0, space), was = line.substring(space + 1);
            String is = now.get(id);
            if (is == null && !reserved(id)) broken.add(id + ": gone (was " + was + "), and its number not reserved");
            else if (is != null && !shape(id, is).equals(shape(id, was))) broken.add(id + ": " + was + " became " + is);
        }
        assertEquals(List.of(), broken, "incompatible with the last release's schema (" + SNAPSHOT + ")");
    }

    /** Every field, enum value and RPC: "message#number" -> "name type cardinality", and so on. */
    static Map<String, String> schema() {
        Map<String, String> out = new TreeMap<>();
        for (FileDescriptor f : FILES) {
            for (Descriptor m : f.getMessageTypes()) message(m, out);
            for (EnumDescriptor e : f.getEnumTypes()) enumeration(e, out);
            for (ServiceDescriptor s : f.getServices()) {
                for (MethodDescriptor rpc : s.getMethods()) {
                    out.put(
                            rpc.getFullName(),
                            (rpc.isClientStreaming() ? "stream " : "")
                                    + rpc.getInputType().getFullName() + " -> "
                                    + (rpc.isServerStreaming() ? "stream " : "")
                                    + rpc.getOutputType().getFullName());
                }
            }
        }
        return out;
    }

    private static void message(Descriptor m, Map<String, String> out) {
        for (FieldDescriptor field : m.getFields()) {
            String type = switch (field.getJavaType()) {
                case MESSAGE -> field.getMessageType().getFullName();
                case ENUM -> field.getEnumType().getFullName();
                default -> field.getType().name().toLowerCase(java.util.Locale.ROOT);
            };
            String cardinality = field.isMapField() ? "map" : field.isRepeated() ? "repeated" : "singular";
            out.put(m.getFullName() + "#" + field.getNumber(), field.getName() + " " + type + " " + cardinality);
        }
        for (Descriptor nested : m.getNestedTypes()) message(nested, out);
        for (EnumDescriptor e : m.getEnumTypes()) enumeration(e, out);
    }

    private static void enumeration(EnumDescriptor e, Map<String, String> out) {
        for (EnumValueDescriptor v : e.getValues()) out.put(e.getFullName() + "=" + v.getNumber(), v.getName());
    }

    /** What the wire depends on: a field's type and cardinality, not its name (a rename is compatible). */
    private static String shape(String id, String what) {
        return id.contains("#") ? what.substring(what.indexOf(' ') + 1) : what;
    }

    /** A field removed since the snapshot must have its number reserved, so it is never reused. */
    private static boolean reserved(String id) {
        int hash = id.lastIndexOf('#');
        if (hash < 0) return false; // enum values and RPCs are never removed
        String message = id.substring(0, hash);
        int number = Integer.parseInt(id.substring(hash + 1));
        for (FileDescriptor f : FILES) {
            Descriptor d = find(f, message);
            if (d != null) return d.isReservedNumber(number);
        }
        return false; // the whole message is gone
    }

    private static Descriptor find(FileDescriptor f, String fullName) {
        for (Descriptor m : f.getMessageTypes()) {
            Descriptor d = find(m, fullName);
            if (d != null) return d;
        }
        return null;
    }

    private static Descriptor find(Descriptor m, String fullName) {
        if (m.getFullName().equals(fullName)) return m;
        for (Descriptor nested : m.getNestedTypes()) {
            Descriptor d = find(nested, fullName);
            if (d != null) return d;
        }
        return null;
    }

    private static List<String> lines(Map<String, String> schema) {
        List<String> lines = new ArrayList<>();
        lines.add("# The wire and record schema of the last release (basalt.meta.v1, basalt.shard.v1):");
        lines.add("# message#number name type cardinality | enum=number NAME | rpc input -> output.");
        lines.add("# Written by WireFormatCompatibilityTest with -Dbasalt.wire-format.write=true; see its doc.");
        schema.forEach((id, what) -> lines.add(id + " " + what));
        return lines;
    }
}
