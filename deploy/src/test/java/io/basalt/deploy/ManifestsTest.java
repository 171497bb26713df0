package io.basalt.deploy;

import static io.basalt.deploy.Manifests.list;
import static io.basalt.deploy.Manifests.listOrEmpty;
import static io.basalt.deploy.Manifests.map;
import static io.basalt.deploy.Manifests.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.basalt.coordinator.Coordinator;
import io.basalt.coordinator.CoordinatorMain;
import io.basalt.coordinator.console.ConsoleConfig;
import io.basalt.core.meta.Etcd;
import io.basalt.gateway.GatewayConfig;
import io.basalt.gateway.GatewayMain;
import io.basalt.storage.StorageNodeConfig;
import io.basalt.storage.StorageNodeMain;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * deploy/k8s checked against the programs it runs: each service's container args (environment resolved and
 * $(VAR) expanded as the kubelet does) go through that service's real flag parser, and every port, DNS name,
 * probe and etcd endpoint named in one place must agree with where it is defined. No cluster is needed; when
 * kubectl is installed, its rendering of the base and of the example overlay must pass the same checks.
 */
class ManifestsTest {

    private static final Path K8S = Path.of("k8s");
    private static final Path BASE = K8S.resolve("base");
    private static final Path OVERLAY = K8S.resolve("overlays/example");
    private static final String NAMESPACE = "basalt-test"; // the base names none: kubectl apply -n picks it

    @Test
    void baseManifestsRunWhatTheServicesAccept() {
        check(Manifests.parse(Manifests.kustomizationText(BASE)), NAMESPACE);
    }

    @Test
    void everyManifestParsesAndTheBaseListsEveryFile() throws IOException {
        try (Stream<Path> files = Files.walk(K8S)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                assertFalse(Yaml.parseAll(Manifests.read(f)).isEmpty(), f + " holds no document");
            }
        }
        Set<String> listed = new HashSet<>();
        for (Object r : list(
                map(
                        Yaml.parseAll(Manifests.read(BASE.resolve("kustomization.yaml")))
                                .getFirst(),
                        "k"),
                "resources")) {
            listed.add((String) r);
        }
        try (Stream<Path> files = Files.list(BASE)) {
            Set<String> present = new HashSet<>(files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
                    .toList());
            assertEquals(present, listed, "base/kustomization.yaml must list every manifest in base/");
        }
    }

    @Test
    void checksCatchBrokenManifests() {
        String base = Manifests.kustomizationText(BASE);
        Map<String, String> breakages = new LinkedHashMap<>();
        breakages.put("            - 0.0.0.0:9000\n", "            - 127.0.0.1:9000\n"); // gateway on loopback
        breakages.put("- --advertise\n", "- --advertize\n"); // a flag the node does not know
        breakages.put("basalt-etcd-2.basalt-etcd:2379", "basalt-etcd-3.basalt-etcd:2379"); // no such member
        breakages.put("containerPort: 9100", "containerPort: 9101"); // node listens elsewhere than declared
        breakages.put("containerPort: 9101", "containerPort: 9102"); // its data port too
        breakages.put("- --data-port\n            - \"9101\"", "- --data-port\n            - \"0\""); // a free port
        breakages.put(".svc:9101", ".svc:9100"); // shard reads sent to the gRPC port
        breakages.put(
                "$(POD_NAME).basalt-node.$(POD_NAMESPACE).svc:9100",
                "$(POD_NAM).basalt-node.$(POD_NAMESPACE).svc:9100"); // undefined variable
        breakages.put("prometheus.io/port: \"2381\"", "prometheus.io/port: \"2379\""); // scrape the wrong port
        breakages.put(
                "            limits:\n              memory: 768Mi", "            limits:\n              memory: 400Mi");
        breakages.put(
                "- name: s3\n      port: 9000\n      targetPort: s3",
                "- name: s3\n      port: 9000\n      targetPort: metrics");
        // the nodes' gRPC and data port opened to every pod
        breakages.put(
                "        - port: 9101\n      from:\n",
                "        - port: 9101\n      from:\n        - namespaceSelector: {}\n");
        // the data port closed to the gateways and coordinators (reads would fail), or open to every pod
        breakages.put("        - port: 9100\n        - port: 9101\n", "        - port: 9100\n");
        breakages.put(
                "    - ports:\n        - port: 9090\n      from:\n",
                "    - ports:\n        - port: 9090\n        - port: 9101\n      from:\n");
        // etcd handed an API token
        breakages.put(
                "automountServiceAccountToken: false # no pod here talks to the Kubernetes API\n      securityContext:\n"
                        + "        runAsNonRoot: true\n        runAsUser: 65532",
                "automountServiceAccountToken: true\n      securityContext:\n        runAsNonRoot: true\n"
                        + "        runAsUser: 65532");
        for (Map.Entry<String, String> b : breakages.entrySet()) {
            int at = base.indexOf(b.getKey());
            assertTrue(at >= 0 && base.indexOf(b.getKey(), at + 1) < 0, "breakage must match once: " + b.getKey());
            Manifests broken = Manifests.parse(base.replace(b.getKey(), b.getValue()));
            Throwable t = assertThrows(Throwable.class, () -> check(broken, NAMESPACE), "not caught: " + b.getValue());
            assertTrue(t instanceof AssertionError || t instanceof IllegalArgumentException, t.toString());
        }
    }

    @Test
    void certManagerExampleIssuesWhatTheServicesRead() {
        Manifests cm = Manifests.parse(Manifests.read(K8S.resolve("cert-manager/cluster-tls.yaml")));
        Map<String, Object> spec = map(cm.get("Certificate", "basalt-cluster-tls"), "spec");
        assertEquals("basalt-cluster-tls", str(spec, "secretName"));
        assertEquals(List.of("server auth", "client auth"), list(spec, "usages"), "every process is both");
        assertEquals("PKCS8", str(map(spec, "privateKey"), "encoding"), "Basalt reads PKCS#8 keys");
        // peers dial a node at its --advertise and --advertise-data hosts, which a name of the certificate must match
        String ns = overlayNamespace();
        Manifests base = Manifests.parse(Manifests.kustomizationText(BASE));
        StorageNodeConfig node = StorageNodeMain.parse(serviceArgs(
                        base.container("StatefulSet", "basalt-node", "storage-node", fields("basalt-node-3", ns, "")),
                        "storage-node")
                .toArray(String[]::new));
        List<String> names =
                list(spec, "dnsNames").stream().map(String.class::cast).toList();
        for (String advertised : List.of(node.advertise(), node.advertiseData())) {
            assertNamed(advertised.substring(0, advertised.lastIndexOf(':')), names);
        }
        // clients dial every etcd member under the first endpoint's host (jetcd's one authority); peers by .svc names
        String firstEtcd = base.container("Deployment", "basalt-gateway", "gateway", fields("g", ns, ""))
                .env()
                .get("BASALT_ETCD")
                .split(",")[0];
        assertNamed(java.net.URI.create(firstEtcd).getHost(), names);
        assertNamed("basalt-etcd-2.basalt-etcd." + ns + ".svc", names);
        // the CA the leaf is signed by is a CA
        assertEquals("true", str(map(cm.get("Certificate", "basalt-cluster-ca"), "spec"), "isCA"));
    }

    @Test
    void milvusExamplePointsAtTheGatewayService() {
        Manifests m = Manifests.parse(Manifests.kustomizationText(BASE));
        Map<String, Object> svc = m.get("Service", "basalt-gateway");
        String port = String.valueOf(servicePort(svc, "s3"));
        String overlayNamespace = overlayNamespace();
        String host = "basalt-gateway." + overlayNamespace + ".svc.cluster.local";

        Map<String, Object> values = map(
                Yaml.parseAll(Manifests.read(K8S.resolve("milvus/values.yaml"))).getFirst(), "values");
        assertEquals("false", str(map(values, "minio"), "enabled"), "the bundled MinIO must be off");
        Map<String, Object> s3 = map(values, "externalS3");
        assertEquals("true", str(s3, "enabled"));
        assertEquals(host, str(s3, "host"));
        assertEquals(port, str(s3, "port"));
        assertEquals("false", str(s3, "useSSL"), "the gateway serves plain HTTP");
        assertEquals("false", str(s3, "useVirtualHost"), "no --domain is set, so path-style only");
        assertEquals(m.secretValue("basalt-credentials", "access-key"), str(s3, "accessKey"));
        assertEquals(m.secretValue("basalt-credentials", "secret-key"), str(s3, "secretKey"));

        Map<String, Object> minio = map(
                map(
                        Yaml.parseAll(Manifests.read(K8S.resolve("milvus/milvus.yaml")))
                                .getFirst(),
                        "milvus.yaml"),
                "minio");
        assertEquals(host, str(minio, "address"));
        assertEquals(port, str(minio, "port"));
        assertEquals(str(s3, "accessKey"), str(minio, "accessKeyID"));
        assertEquals(str(s3, "secretKey"), str(minio, "secretAccessKey"));
        for (String k : List.of("useSSL", "bucketName", "rootPath", "cloudProvider", "useVirtualHost")) {
            assertEquals(str(s3, k), str(minio, k), k);
        }

        Manifests job = Manifests.parse(Manifests.read(K8S.resolve("milvus/bucket-job.yaml")));
        Map<String, Object> c = map(
                list(map(map(map(job.get("Job", "basalt-milvus-bucket"), "spec"), "template"), "spec"), "containers")
                        .getFirst(),
                "c");
        assertTrue(
                ((String) list(c, "args").getFirst()).contains("--endpoint-url http://basalt-gateway:" + port + " "));
        for (Object e : list(c, "env")) {
            Object from = map(e, "env").get("valueFrom");
            if (from != null) assertEquals("basalt-credentials", str(map(map(from, "from"), "secretKeyRef"), "name"));
        }
    }

    @Test
    void kubectlRendersBaseAndOverlayAndTheOutputPassesTheSameChecks() throws Exception {
        Optional<Path> kubectl = onPath("kubectl");
        assumeTrue(
                kubectl.isPresent(),
                "kubectl is not installed: the manifest files were checked, not kubectl's rendering");
        check(Manifests.parse(kustomize(kubectl.get(), BASE)), NAMESPACE);

        Manifests overlay = Manifests.parse(kustomize(kubectl.get(), OVERLAY));
        String ns = str(map(overlay.get("StatefulSet", "basalt-node"), "metadata"), "namespace");
        assertEquals("basalt", ns);
        check(overlay, ns);
        assertEquals("8", str(map(overlay.get("StatefulSet", "basalt-node"), "spec"), "replicas"));
        assertEquals(
                "registry.example.com/basalt:0.2.0",
                overlay.container("Deployment", "basalt-gateway", "gateway", fields("p", ns, ""))
                        .spec()
                        .get("image"));
        assertNotEquals(
                "minioadmin",
                overlay.secretValue("basalt-credentials", "secret-key"),
                "the overlay replaces the example secret");
    }

    /**
     * Every object of the base, the example overlay's namespace, the cert-manager example and the Milvus
     * bucket Job passes Kubernetes' own OpenAPI schemas (cert-manager's for its kinds), as the API server
     * would check them on apply: kubernetes-models' compiled validators, run by node (deploy/schema-check,
     * versions pinned in its package-lock.json). A StatefulSet whose replicas is text and a Certificate
     * without its secretName are refused, so the check is known to run.
     */
    @Test
    void everyObjectPassesKubernetesOwnSchemas() throws Exception {
        Optional<Path> node = onPath("node");
        assumeTrue(node.isPresent(), "node is not installed: the manifests were not checked against the API's schemas");
        Path check = Path.of("schema-check").toAbsolutePath();
        if (!Files.isDirectory(check.resolve("node_modules/kubernetes-models"))) {
            Optional<Path> npm = onPath("npm");
            assumeTrue(npm.isPresent(), "npm is not installed: cannot fetch the schemas (deploy/schema-check)");
            Process p = new ProcessBuilder(npm.get().toString(), "ci", "--no-audit", "--no-fund")
                    .directory(check.toFile())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assumeTrue(
                    p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0,
                    "npm ci in deploy/schema-check failed (no registry?): " + out);
        }
        List<Object> objects = new ArrayList<>(Yaml.parseAllTyped(Manifests.kustomizationText(BASE)));
        for (String file :
                List.of("overlays/example/namespace.yaml", "cert-manager/cluster-tls.yaml", "milvus/bucket-job.yaml")) {
            objects.addAll(Yaml.parseAllTyped(Manifests.read(K8S.resolve(file))));
        }
        String verdict = validate(node.get(), check, objects);
        assertEquals(
                objects.size(), verdict.lines().filter(l -> l.startsWith("ok ")).count(), verdict);
        assertTrue(verdict.contains("ok StatefulSet basalt-node") && verdict.contains("ok NetworkPolicy"), verdict);

        Map<String, Object> sts = deepCopy(objects.stream()
                .map(o -> map(o, "object"))
                .filter(o -> "StatefulSet".equals(o.get("kind")))
                .findFirst()
                .orElseThrow());
        map(sts, "spec").put("replicas", "three");
        Map<String, Object> cert = deepCopy(objects.stream()
                .map(o -> map(o, "object"))
                .filter(o -> "Certificate".equals(o.get("kind")))
                .findFirst()
                .orElseThrow());
        map(cert, "spec").remove("secretName");
        String broken = validate(node.get(), check, List.of(sts, cert));
        assertEquals(2, broken.lines().filter(l -> l.startsWith("invalid ")).count(), broken);
        assertTrue(broken.contains("replicas must be integer"), broken);
        assertTrue(broken.contains("secretName"), broken);
    }

    /** validate.mjs's verdict on {@code objects}: a line per object. */
    private static String validate(Path node, Path check, List<?> objects) throws Exception {
        Process p = new ProcessBuilder(node.toString(), "validate.mjs")
                .directory(check.toFile())
                .redirectErrorStream(true)
                .start();
        try (var in = p.getOutputStream()) {
            in.write(new com.google.gson.Gson().toJson(objects).getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "validate.mjs did not finish");
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> m) {
        com.google.gson.Gson gson = new com.google.gson.Gson();
        return gson.fromJson(gson.toJson(m), Map.class);
    }

    // ------------------------------------------------------------------ the checks

    static void check(Manifests m, String ns) {
        List<String> etcd = checkEtcd(m, ns);
        GatewayConfig gateway = checkGateway(m, etcd);
        checkStorageNodes(m, ns, etcd, gateway.dataShards() + gateway.parityShards());
        checkCoordinator(m, etcd);
        Set<Object> images = new HashSet<>();
        images.add(m.container("Deployment", "basalt-gateway", "gateway", fields("p", ns, ""))
                .spec()
                .get("image"));
        images.add(m.container("StatefulSet", "basalt-node", "storage-node", fields("p", ns, ""))
                .spec()
                .get("image"));
        images.add(m.container("Deployment", "basalt-coordinator", "coordinator", fields("p", ns, ""))
                .spec()
                .get("image"));
        assertEquals(1, images.size(), "one image runs all three services: " + images);
        checkNetworkPolicies(m);
        for (String[] w : new String[][] {
            {"Deployment", "basalt-gateway"},
            {"Deployment", "basalt-coordinator"},
            {"StatefulSet", "basalt-node"},
            {"StatefulSet", "basalt-etcd"}
        }) {
            assertEquals(
                    "false",
                    str(map(map(map(m.get(w[0], w[1]), "spec"), "template"), "spec"), "automountServiceAccountToken"),
                    w[1] + " needs no Kubernetes API token");
        }
    }

    /** Who may open a connection to whom, as the NetworkPolicies say: only what each component serves. */
    static void checkNetworkPolicies(Manifests m) {
        Map<String, String> gateway = basaltPod("gateway"), coordinator = basaltPod("coordinator");
        Map<String, String> node = basaltPod("storage-node"), etcd = basaltPod("etcd");
        Map<String, String> milvus = Map.of("app.kubernetes.io/name", "milvus");
        assertTrue(reaches(m, gateway, node, 9100), "gateways write shards");
        assertTrue(reaches(m, coordinator, node, 9100), "coordinators heal");
        assertFalse(reaches(m, milvus, node, 9100), "nobody else reaches the nodes' gRPC");
        assertFalse(reaches(m, node, node, 9100), "nodes never call each other");
        assertTrue(reaches(m, gateway, node, 9101), "gateways read shards over the data port");
        assertTrue(reaches(m, coordinator, node, 9101), "coordinators read there to heal, move and copy");
        assertFalse(reaches(m, milvus, node, 9101), "nobody else reaches the nodes' data port");
        assertFalse(reaches(m, node, node, 9101), "nor do nodes");
        assertTrue(reaches(m, milvus, gateway, 9000), "S3 is open to clients");
        assertTrue(reaches(m, milvus, coordinator, 9001), "so is the web console (an S3 key signs in)");
        for (Map<String, String> basalt : List.of(gateway, coordinator, node)) {
            assertTrue(reaches(m, basalt, etcd, 2379), "Basalt's pods reach etcd");
        }
        assertFalse(reaches(m, milvus, etcd, 2379), "nobody else reaches etcd");
        assertTrue(reaches(m, etcd, etcd, 2380), "members reach each other");
        assertFalse(reaches(m, gateway, etcd, 2380), "only members speak raft");
        for (Map<String, String> target : List.of(gateway, coordinator, node)) {
            assertTrue(reaches(m, milvus, target, 9090), "Prometheus scrapes every process");
        }
        assertTrue(reaches(m, milvus, etcd, 2381), "and etcd's metrics");
    }

    static Map<String, String> basaltPod(String component) {
        return Map.of("app.kubernetes.io/name", "basalt", "app.kubernetes.io/component", component);
    }

    /**
     * Whether a pod labelled {@code from} may connect to {@code port} of a pod labelled {@code to}: true when no
     * policy selects the target, else when an ingress rule of one that does admits both.
     */
    static boolean reaches(Manifests m, Map<String, String> from, Map<String, String> to, int port) {
        boolean selected = false;
        for (Map<String, Object> policy : m.all("NetworkPolicy")) {
            Map<String, Object> spec = map(policy, "spec");
            if (!matches(map(map(spec, "podSelector"), "matchLabels"), to)) continue;
            selected = true;
            for (Object r : listOrEmpty(spec, "ingress")) {
                Map<String, Object> rule = map(r, "rule");
                boolean portOk = listOrEmpty(rule, "ports").isEmpty()
                        || listOrEmpty(rule, "ports").stream()
                                .anyMatch(p -> String.valueOf(port).equals(str(map(p, "port"), "port")));
                boolean peerOk = listOrEmpty(rule, "from").isEmpty()
                        || listOrEmpty(rule, "from").stream().anyMatch(f -> {
                            Map<String, Object> peer = map(f, "from");
                            if (peer.containsKey("namespaceSelector")) return true; // any pod, any namespace
                            return matches(map(map(peer, "podSelector"), "matchLabels"), from);
                        });
                if (portOk && peerOk) return true;
            }
        }
        return !selected;
    }

    private static boolean matches(Map<String, Object> selector, Map<String, String> labels) {
        return selector.entrySet().stream()
                .allMatch(e -> String.valueOf(e.getValue()).equals(labels.get(e.getKey())));
    }

    /** etcd's members agree with their StatefulSet and Service; returns the client URLs Basalt must be given. */
    static List<String> checkEtcd(Manifests m, String ns) {
        Map<String, Object> sts = m.get("StatefulSet", "basalt-etcd");
        Map<String, Object> spec = map(sts, "spec");
        int replicas = Integer.parseInt(str(spec, "replicas"));
        assertEquals(3, replicas, "3 members: quorum survives one");
        String svcName = str(spec, "serviceName");
        Map<String, Object> svc = headlessService(m, svcName);
        String pod = "basalt-etcd-1";
        Manifests.Container c = m.container("StatefulSet", "basalt-etcd", "etcd", fields(pod, ns, ""));
        Map<String, String> flags = new HashMap<>();
        for (String a : c.args()) {
            assertTrue(a.startsWith("--") && a.contains("="), "etcd flags are --name=value: " + a);
            assertEquals(
                    null, flags.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1)), "repeated " + a);
        }
        int client = c.port("client");
        int peer = c.port("peer");
        assertEquals(client, headlessPort(svc, "client", c));
        assertEquals(peer, headlessPort(svc, "peer", c));
        assertSelects(svc, c);
        String dns = pod + "." + svcName + "." + ns + ".svc";
        assertEquals(pod, flags.get("name"));
        assertEquals("https://0.0.0.0:" + client, flags.get("listen-client-urls"));
        assertEquals("https://0.0.0.0:" + peer, flags.get("listen-peer-urls"));
        assertEquals("https://" + dns + ":" + client, flags.get("advertise-client-urls"));
        assertEquals("https://" + dns + ":" + peer, flags.get("initial-advertise-peer-urls"));
        assertEquals(
                String.join(
                        ",",
                        IntStream.range(0, replicas)
                                .mapToObj(i -> "basalt-etcd-" + i + "=https://basalt-etcd-" + i + "." + svcName + "."
                                        + ns + ".svc:" + peer)
                                .toList()),
                flags.get("initial-cluster"),
                "--initial-cluster must name every member by its stable DNS name");
        onClaim(c, sts, flags.get("data-dir"));
        int metrics = c.port("metrics");
        assertEquals("http://0.0.0.0:" + metrics, flags.get("listen-metrics-urls"));
        // clients and peers over TLS with the cluster's certificates, a client certificate required
        Path certs = Path.of("/etc/basalt/cluster-tls");
        assertEquals(certs.resolve("tls.crt").toString(), flags.get("cert-file"));
        assertEquals(certs.resolve("tls.key").toString(), flags.get("key-file"));
        assertEquals(certs.resolve("ca.crt").toString(), flags.get("trusted-ca-file"));
        assertEquals("true", flags.get("client-cert-auth"));
        assertEquals(certs.resolve("tls.crt").toString(), flags.get("peer-cert-file"));
        assertEquals(certs.resolve("ca.crt").toString(), flags.get("peer-trusted-ca-file"));
        assertEquals("true", flags.get("peer-client-cert-auth"));
        assertClusterTlsFromSecret(c, certs);
        assertEquals(metrics, c.probePort("livenessProbe", "/health?serializable=true"));
        assertEquals(metrics, c.probePort("readinessProbe", "/health"));
        assertScraped(c, metrics);
        assertTrue(
                ((String) c.spec().get("image")).matches("[^:]+:v?[0-9]+\\.[0-9]+\\.[0-9]+"),
                "etcd image pinned to a version");
        assertPdbMaxUnavailableOne(m, "basalt-etcd", c);
        assertHostAntiAffinity(sts, c);
        return IntStream.range(0, replicas)
                .mapToObj(i -> "https://basalt-etcd-" + i + "." + svcName + ":" + client)
                .toList();
    }

    static GatewayConfig checkGateway(Manifests m, List<String> etcd) {
        Map<String, Object> dep = m.get("Deployment", "basalt-gateway");
        assertTrue(Integer.parseInt(str(map(dep, "spec"), "replicas")) >= 2, "gateways: 2 or more");
        Manifests.Container c =
                m.container("Deployment", "basalt-gateway", "gateway", fields("basalt-gateway-5d9c-x2", "ns", ""));
        List<String> args = serviceArgs(c, "gateway");
        Map<String, String> env = c.env();
        GatewayConfig cfg;
        if ("minioadmin".equals(env.get("BASALT_SECRET_KEY"))) {
            // the base's example Secret: a gateway on 0.0.0.0 must refuse it, so an unchanged base cannot go live
            IllegalArgumentException refused = assertThrows(
                    IllegalArgumentException.class,
                    () -> GatewayMain.config(args.toArray(String[]::new), env::get),
                    "the well-known secret beyond loopback");
            assertTrue(refused.getMessage().contains("--allow-default-credentials"), refused.getMessage());
            List<String> allowed = new ArrayList<>(args);
            allowed.add("--allow-default-credentials");
            cfg = GatewayMain.config(allowed.toArray(String[]::new), env::get);
        } else {
            cfg = GatewayMain.config(args.toArray(String[]::new), env::get);
        }
        assertAllInterfaces(cfg.host());
        int s3 = c.port("s3");
        assertEquals(s3, cfg.port(), "--listen port is the s3 containerPort");
        Map<String, Object> svc = m.get("Service", "basalt-gateway");
        assertEquals(s3, targetPort(svc, "s3", c), "the Service sends S3 traffic to --listen");
        assertEquals(9000, servicePort(svc, "s3"), "S3 clients (Milvus) dial port 9000");
        assertSelects(svc, c);
        assertEquals(etcd, cfg.etcdEndpoints());
        assertMetrics(c, cfg.metricsListen(), "livenessProbe");
        assertEquals(s3, c.probePort("readinessProbe", "/minio/health/live"));
        // credentials come from the Secret, through the environment, never from the command line
        assertFalse(args.contains("--access-key") || args.contains("--secret-key"), "credentials on the command line");
        assertFromSecret(c, "BASALT_ACCESS_KEY");
        assertFromSecret(c, "BASALT_SECRET_KEY");
        assertEquals(
                Optional.of(env.get("BASALT_SECRET_KEY")), cfg.credentials().secretFor(env.get("BASALT_ACCESS_KEY")));
        assertMemory(c, "gateway");
        assertPdbMaxUnavailableOne(m, "basalt-gateway", c);
        assertClusterTlsFromSecret(c, cfg.clusterTls());
        assertNotNull(cfg.clusterKey(), "--cluster-key: keys made with basalt admin key would all be refused");
        assertMountedSecret(c, cfg.clusterKey().getParent(), "basalt-cluster-key");
        return cfg;
    }

    static void checkStorageNodes(Manifests m, String ns, List<String> etcd, int shardsPerObject) {
        Map<String, Object> sts = m.get("StatefulSet", "basalt-node");
        Map<String, Object> spec = map(sts, "spec");
        assertTrue(
                Integer.parseInt(str(spec, "replicas")) >= shardsPerObject,
                "at least k+m = " + shardsPerObject + " nodes");
        String svcName = str(spec, "serviceName");
        Map<String, Object> svc = headlessService(m, svcName);
        String pod = "basalt-node-3";
        Manifests.Container c = m.container("StatefulSet", "basalt-node", "storage-node", fields(pod, ns, "zone-a"));
        StorageNodeConfig cfg =
                StorageNodeMain.parse(serviceArgs(c, "storage-node").toArray(String[]::new));
        assertEquals(pod, cfg.nodeId(), "the node id is the pod's stable name");
        assertAllInterfaces(cfg.host());
        String dns = pod + "." + svcName + "." + ns + ".svc";
        assertNodePort(c, svc, "grpc", cfg.port(), cfg.advertise(), dns);
        // a fixed data port (not 0, a free one) is what the network policy and the Service can name
        assertNodePort(c, svc, "data", cfg.dataPort(), cfg.advertiseData(), dns);
        assertSelects(svc, c);
        assertEquals(etcd, Etcd.parseEndpoints(cfg.etcdEndpoint()));
        assertEquals("zone-a", cfg.zone(), "--zone comes from the pod's topology label");
        StorageNodeConfig unlabelled = StorageNodeMain.parse(serviceArgs(
                        m.container("StatefulSet", "basalt-node", "storage-node", fields(pod, ns, "")), "storage-node")
                .toArray(String[]::new));
        assertEquals("", unlabelled.zone(), "without the label the node starts with no zone");
        Set<String> volumes = new HashSet<>();
        for (Path dir : cfg.dataDirs()) {
            assertTrue(volumes.add(onClaim(c, sts, dir.toString())), "two data dirs on one volume: " + cfg.dataDirs());
        }
        assertMetrics(c, cfg.metricsListen(), "startupProbe", "readinessProbe", "livenessProbe");
        assertMemory(c, "storage-node");
        assertPdbMaxUnavailableOne(m, "basalt-node", c);
        assertHostAntiAffinity(sts, c);
        assertClusterTlsFromSecret(c, cfg.clusterTls());
    }

    /**
     * A node's port {@code name}: the flag's port is that containerPort and the headless Service's, and peers are
     * told to dial it at the pod's stable DNS name.
     */
    static void assertNodePort(
            Manifests.Container c, Map<String, Object> svc, String name, int flagPort, String advertised, String dns) {
        int port = c.port(name);
        assertEquals(port, flagPort, name + ": the flag's port is the containerPort");
        assertEquals(port, headlessPort(svc, name, c));
        assertEquals(dns + ":" + port, advertised, name + ": peers dial the pod's stable DNS name");
    }

    static void checkCoordinator(Manifests m, List<String> etcd) {
        Map<String, Object> dep = m.get("Deployment", "basalt-coordinator");
        assertEquals("2", str(map(dep, "spec"), "replicas"), "two coordinators: one leads, one stands by");
        String pod = "basalt-coordinator-7f6b-q8";
        Manifests.Container c = m.container("Deployment", "basalt-coordinator", "coordinator", fields(pod, "ns", ""));
        String[] args = serviceArgs(c, "coordinator").toArray(String[]::new);
        Coordinator.Config cfg = CoordinatorMain.parse(args);
        assertEquals(pod, cfg.id());
        assertEquals(etcd, cfg.etcdEndpoints());
        assertMetrics(c, CoordinatorMain.metricsListen(args), "livenessProbe");
        // the web console: on every interface, its own containerPort, probed for readiness, behind its Service
        ConsoleConfig console = CoordinatorMain.console(args);
        assertNotNull(console, "the coordinators serve the web console");
        int colon = console.listen().lastIndexOf(':');
        assertAllInterfaces(console.listen().substring(0, colon));
        int consolePort = Integer.parseInt(console.listen().substring(colon + 1));
        assertEquals(c.port("console"), consolePort, "--console-listen port is the console containerPort");
        assertEquals(consolePort, c.probePort("readinessProbe", "/health"), "ready when the console serves");
        Map<String, Object> service = m.get("Service", "basalt-console");
        assertSelects(service, c);
        Map<String, Object> servicePort = list(map(service, "spec"), "ports").stream()
                .map(p -> map(p, "a port of basalt-console"))
                .filter(p -> "9001".equals(str(p, "port")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("basalt-console serves port 9001, as MinIO's console"));
        assertEquals("console", str(servicePort, "targetPort"));
        assertEquals(
                "http://basalt-gateway:9000", console.gateway().toString(), "the console's S3 goes to the gateways");
        assertMemory(c, "coordinator");
        assertPdbMaxUnavailableOne(m, "basalt-coordinator", c);
        assertClusterTlsFromSecret(c, cfg.clusterTls());
        // `kubectl exec ... basalt admin key create` seals with the key the gateways open with
        assertMountedSecret(c, Path.of(c.env().get("BASALT_CLUSTER_KEY_FILE")).getParent(), "basalt-cluster-key");
    }

    // ------------------------------------------------------------------ helpers

    /** A wildcard of {@code names} covers {@code host} (one label, as TLS clients match). */
    static void assertNamed(String host, List<String> names) {
        assertTrue(
                names.stream()
                        .anyMatch(n -> n.startsWith("*.")
                                && host.endsWith(n.substring(1))
                                && host.indexOf('.') == host.length() - n.length() + 1),
                host + " matches no name of " + names);
    }

    /** The namespace the example overlay deploys into. */
    static String overlayNamespace() {
        return str(
                map(
                        Yaml.parseAll(Manifests.read(OVERLAY.resolve("kustomization.yaml")))
                                .getFirst(),
                        "k"),
                "namespace");
    }

    /** What the downward API gives a pod: its name, namespace and (maybe empty) zone label. */
    static Map<String, String> fields(String pod, String ns, String zone) {
        return Map.of(
                "metadata.name", pod, "metadata.namespace", ns, "metadata.labels['topology.kubernetes.io/zone']", zone);
    }

    /** The args after the image entrypoint's service name. */
    static List<String> serviceArgs(Manifests.Container c, String service) {
        assertEquals(
                null, c.spec().get("command"), "the image's entrypoint must run (it picks the jar and main class)");
        List<String> args = c.args();
        assertEquals(service, args.getFirst(), "first arg names the service");
        return new ArrayList<>(args.subList(1, args.size()));
    }

    static void assertAllInterfaces(String host) {
        try {
            InetAddress a = InetAddress.getByName(host);
            assertTrue(a.isAnyLocalAddress(), host + ": a pod must listen on every interface, not only " + host);
        } catch (UnknownHostException e) {
            throw new AssertionError("listen host " + host + " is not an address", e);
        }
    }

    /** HOST:PORT of a metrics endpoint: every interface, the metrics containerPort, scraped, probed at /health. */
    static void assertMetrics(Manifests.Container c, String listen, String... probes) {
        assertNotNull(listen, "--metrics-listen is required (probes and Prometheus use it)");
        int colon = listen.lastIndexOf(':');
        assertAllInterfaces(listen.substring(0, colon));
        int port = Integer.parseInt(listen.substring(colon + 1));
        assertEquals(c.port("metrics"), port, "--metrics-listen port is the metrics containerPort");
        for (String p : probes) assertEquals(port, c.probePort(p, "/health"), p);
        assertScraped(c, port);
    }

    static void assertScraped(Manifests.Container c, int port) {
        assertEquals("true", c.annotations().get("prometheus.io/scrape"));
        assertEquals(
                String.valueOf(port), c.annotations().get("prometheus.io/port"), "Prometheus scrapes the metrics port");
        assertEquals("/metrics", c.annotations().get("prometheus.io/path"));
    }

    static void assertFromSecret(Manifests.Container c, String var) {
        for (Object o : list(c.spec(), "env")) {
            Map<String, Object> e = map(o, "env");
            if (var.equals(e.get("name"))) {
                assertNotNull(e.get("valueFrom"), var + " must come from a Secret");
                assertNotNull(map(e, "valueFrom").get("secretKeyRef"), var + " must come from a Secret");
                return;
            }
        }
        throw new AssertionError(var + " is not set");
    }

    /**
     * The memory limit holds the heap, as much direct memory (netty, Undertow) and 128 MiB for the rest; the heap is
     * the one deploy/services.properties gives the service everywhere else (./basalt dev, the chaos cluster, the image).
     */
    static void assertMemory(Manifests.Container c, String service) {
        String opts = c.env().get("BASALT_JAVA_OPTS");
        assertNotNull(opts, "BASALT_JAVA_OPTS sets the heap");
        Matcher xmx = Pattern.compile("-Xmx([0-9]+[kKmMgG])").matcher(opts);
        assertTrue(xmx.find(), "no -Xmx in " + opts);
        // the variable replaces jvm.defaults in the image's entrypoint, so it must say all of it again
        for (String option : ServicesFile.load().get("jvm.defaults").split(" "))
            assertTrue(
                    List.of(opts.split(" ")).contains(option),
                    service + ": BASALT_JAVA_OPTS drops " + option + " of jvm.defaults in " + ServicesFile.PATH);
        assertEquals(
                ServicesFile.load().get(service + ".heap"),
                xmx.group(1),
                service + ": the manifest's heap is not the one of " + ServicesFile.PATH);
        long heap = bytes(xmx.group(1));
        Map<String, Object> res = map(c.spec(), "resources");
        long limit = bytes(str(map(res, "limits"), "memory"));
        long request = bytes(str(map(res, "requests"), "memory"));
        assertTrue(
                limit >= 2 * heap + (128L << 20),
                c.spec().get("name") + ": memory limit " + limit + " too small for -Xmx" + xmx.group(1));
        assertTrue(request <= limit, "request above limit");
    }

    static long bytes(String q) {
        Matcher mt = Pattern.compile("([0-9]+)(Ki|Mi|Gi|k|K|m|M|g|G)?").matcher(q);
        assertTrue(mt.matches(), "unsupported quantity " + q);
        long n = Long.parseLong(mt.group(1));
        String unit = mt.group(2) == null ? "" : mt.group(2);
        return switch (unit) {
            case "Ki", "k", "K" -> n << 10;
            case "Mi", "m", "M" -> n << 20;
            case "Gi", "g", "G" -> n << 30;
            default -> n;
        };
    }

    static Map<String, Object> headlessService(Manifests m, String name) {
        Map<String, Object> svc = m.get("Service", name);
        Map<String, Object> spec = map(svc, "spec");
        assertEquals("None", spec.get("clusterIP"), name + " must be headless (stable per-pod DNS names)");
        assertEquals("true", spec.get("publishNotReadyAddresses"), name + ": pods must resolve before they are ready");
        return svc;
    }

    static Map<String, Object> servicePortEntry(Map<String, Object> svc, String name) {
        for (Object p : list(map(svc, "spec"), "ports")) {
            if (name.equals(map(p, "port").get("name"))) return map(p, "port");
        }
        throw new AssertionError("Service has no port " + name);
    }

    static int servicePort(Map<String, Object> svc, String name) {
        return Integer.parseInt(str(servicePortEntry(svc, name), "port"));
    }

    static int targetPort(Map<String, Object> svc, String name, Manifests.Container c) {
        Map<String, Object> p = servicePortEntry(svc, name);
        return c.port(p.get("targetPort") != null ? (String) p.get("targetPort") : str(p, "port"));
    }

    /** A headless Service's port: clients dial pods directly, so port and container port must be one number. */
    static int headlessPort(Map<String, Object> svc, String name, Manifests.Container c) {
        int port = servicePort(svc, name);
        assertEquals(port, targetPort(svc, name, c), "headless Service port " + name + " differs from the container's");
        return port;
    }

    static void assertSelects(Map<String, Object> selectorHolder, Manifests.Container c) {
        Map<String, Object> spec = map(selectorHolder, "spec");
        Object sel = spec.get("selector");
        Map<String, Object> labels = map(sel, "selector").containsKey("matchLabels")
                ? map(map(sel, "selector"), "matchLabels")
                : map(sel, "selector");
        assertFalse(labels.isEmpty());
        labels.forEach((k, v) -> assertEquals(v, c.podLabels().get(k), "selector " + k + " does not match the pods"));
    }

    static void assertPdbMaxUnavailableOne(Manifests m, String name, Manifests.Container c) {
        Map<String, Object> pdb = m.get("PodDisruptionBudget", name);
        assertEquals("1", str(map(pdb, "spec"), "maxUnavailable"));
        assertSelects(pdb, c);
    }

    static void assertHostAntiAffinity(Map<String, Object> workload, Manifests.Container c) {
        Map<String, Object> anti =
                map(map(map(map(map(workload, "spec"), "template"), "spec"), "affinity"), "podAntiAffinity");
        for (Object t : listOrEmpty(anti, "requiredDuringSchedulingIgnoredDuringExecution")) {
            Map<String, Object> term = map(t, "term");
            if (!"kubernetes.io/hostname".equals(term.get("topologyKey"))) continue;
            Map<String, Object> labels = map(map(term, "labelSelector"), "matchLabels");
            labels.forEach((k, v) -> assertEquals(v, c.podLabels().get(k), "anti-affinity selector " + k));
            return;
        }
        throw new AssertionError("no required anti-affinity on kubernetes.io/hostname");
    }

    /**
     * The service runs with the cluster's mutual TLS, its directory a read-only mount of the Secret
     * basalt-cluster-tls, readable by the pod's group.
     */
    static void assertClusterTlsFromSecret(Manifests.Container c, Path dir) {
        assertNotNull(dir, "--cluster-tls none: storage nodes would serve anyone on the pod network");
        assertMountedSecret(c, dir, "basalt-cluster-tls");
    }

    /** {@code dir} is a read-only mount of the Secret {@code secret}, readable by the pod's group. */
    static void assertMountedSecret(Manifests.Container c, Path dir, String secret) {
        Map<String, Object> mount = null;
        for (Object v : listOrEmpty(c.spec(), "volumeMounts")) {
            if (dir.toString().equals(str(map(v, "mount"), "mountPath"))) mount = map(v, "mount");
        }
        assertNotNull(mount, dir + " is no mount: the container would not find its certificates");
        assertEquals("true", str(mount, "readOnly"), "certificates are mounted read-only");
        Map<String, Object> pod = map(c.template(), "spec");
        Map<String, Object> volume = null;
        for (Object v : list(pod, "volumes")) {
            if (str(mount, "name").equals(str(map(v, "volume"), "name"))) volume = map(v, "volume");
        }
        assertNotNull(volume, "no volume " + str(mount, "name"));
        assertEquals(secret, str(map(volume, "secret"), "secretName"));
        Map<String, Object> security = map(pod, "securityContext");
        assertEquals(str(security, "runAsGroup"), str(security, "fsGroup"), "the key is readable by the pod's group");
    }

    /** The volume claim template whose mount holds {@code path}. */
    static String onClaim(Manifests.Container c, Map<String, Object> sts, String path) {
        Set<String> claims = new HashSet<>();
        for (Object t : list(map(sts, "spec"), "volumeClaimTemplates"))
            claims.add(str(map(map(t, "claim"), "metadata"), "name"));
        for (Map.Entry<String, String> mount : c.mounts().entrySet()) {
            if ((path + "/").startsWith(mount.getValue().endsWith("/") ? mount.getValue() : mount.getValue() + "/")) {
                assertTrue(
                        claims.contains(mount.getKey()),
                        path + " is on volume " + mount.getKey() + ", not a persistent claim");
                return mount.getKey();
            }
        }
        throw new AssertionError(path + " is on no mounted volume (it would live in the container and die with it)");
    }

    static Optional<Path> onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    static String kustomize(Path kubectl, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
                .redirectErrorStream(true)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + ":\n" + text);
        return text;
    }
}
