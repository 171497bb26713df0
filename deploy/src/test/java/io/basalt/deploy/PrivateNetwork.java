package io.basalt.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hosts as network namespaces on a private bridge: host i is namespace {@code <prefix><tag>-h<i>} with address
 * 10.S.i.2/16 on its {@code eth0}, whose peer is a port of the bridge {@code br0} in a namespace of its own
 * ({@code <prefix><tag>-sw}); by default prefix {@code basalt-t-} and subnet S = 77 (MultiHostTest), and
 * tests that may run beside it take their own (RollingUpgradeTest: {@code basalt-u-}, 10.78/16). Nothing is added to the namespace the test runs in: no link, no address, no
 * route. Closing deletes every namespace it made, with the links inside. Needs root and iproute2.
 */
final class PrivateNetwork implements AutoCloseable {

    static final String PREFIX = "basalt-t-";
    static final int SUBNET = 77;

    private final String prefix;
    private final int subnet;
    private final String tag;
    private final int hosts;
    private final List<String> made = new ArrayList<>();

    private PrivateNetwork(int hosts, String prefix, int subnet) {
        this.prefix = prefix;
        this.subnet = subnet;
        this.tag =
                HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        this.hosts = hosts;
    }

    /** Why namespaces cannot be made here, or null when they can. */
    static String unavailable() {
        try {
            if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")))
                return "not root: network namespaces need it";
        } catch (IOException | UnsupportedOperationException e) {
            return "cannot tell whether this is root: " + e.getMessage();
        }
        if (!BareMetalTest.onPath("ip")) return "no ip command (iproute2)";
        String probe = PREFIX + "probe-" + ProcessHandle.current().pid();
        try {
            if (ip("netns", "add", probe) != 0) return "ip netns add fails here (no CAP_SYS_ADMIN?)";
            ip("netns", "del", probe);
            return null;
        } catch (IOException e) {
            return "ip netns: " + e.getMessage();
        }
    }

    static PrivateNetwork create(int hosts) throws IOException {
        return create(hosts, PREFIX, SUBNET);
    }

    /** Namespaces named {@code <prefix><tag>-...}, hosts at 10.{@code subnet}.i.2. */
    static PrivateNetwork create(int hosts, String prefix, int subnet) throws IOException {
        PrivateNetwork net = new PrivateNetwork(hosts, prefix, subnet);
        try {
            net.build();
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    private void build() throws IOException {
        String sw = prefix + tag + "-sw";
        add(sw);
        must("-n", sw, "link", "add", "br0", "type", "bridge");
        must("-n", sw, "link", "set", "br0", "up");
        for (int i = 1; i <= hosts; i++) {
            String host = namespace(i);
            add(host);
            must("-n", sw, "link", "add", "h" + i, "type", "veth", "peer", "name", "eth0", "netns", host);
            must("-n", sw, "link", "set", "h" + i, "master", "br0", "up");
            must("-n", host, "addr", "add", hostAddress(i) + "/16", "dev", "eth0");
            must("-n", host, "link", "set", "eth0", "up");
            must("-n", host, "link", "set", "lo", "up");
        }
    }

    String namespace(int host) {
        return prefix + tag + "-h" + host;
    }

    /** Host i's address on the default network (MultiHostTest's). */
    static String address(int host) {
        return "10." + SUBNET + "." + host + ".2";
    }

    /** Host i's address on this network. */
    String hostAddress(int host) {
        return "10." + subnet + "." + host + ".2";
    }

    /**
     * Takes host i's {@code eth0} down (its cable pulled: nothing but loopback leaves or reaches the host, its
     * address stays) or brings it up again, which restores its route to the others.
     */
    void setLink(int host, boolean up) throws IOException {
        must("-n", namespace(host), "link", "set", "eth0", up ? "up" : "down");
    }

    /** {@code command} as run inside host i's namespace. */
    List<String> in(int host, List<String> command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
        c.addAll(command);
        return c;
    }

    private void add(String namespace) throws IOException {
        must("netns", "add", namespace);
        made.add(namespace);
    }

    private static void must(String... args) throws IOException {
        if (ip(args) != 0) throw new IOException("ip " + String.join(" ", args) + " failed");
    }

    private static int ip(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("basalt-ip-", ".out");
        try {
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("ip " + String.join(" ", args) + " hung");
            }
            if (p.exitValue() != 0) {
                System.err.println(
                        "ip " + String.join(" ", args) + ": " + Files.readString(out, StandardCharsets.UTF_8));
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Deletes the namespaces this network made (their links go with them), last made first. */
    @Override
    public void close() {
        for (String namespace : made.reversed()) {
            try {
                ip("netns", "del", namespace);
            } catch (IOException e) {
                System.err.println("could not delete namespace " + namespace + ": " + e.getMessage());
            }
        }
        made.clear();
    }
}
