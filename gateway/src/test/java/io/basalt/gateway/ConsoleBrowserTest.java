package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.coordinator.Coordinator;
import io.basalt.coordinator.console.ConsoleConfig;
import io.basalt.coordinator.console.ConsoleServer;
import io.basalt.core.meta.AccessStore;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.metrics.MetricsServer;
import io.basalt.core.secrets.AccessKeys;
import io.basalt.proto.meta.BucketGrant;
import io.basalt.proto.meta.Segment;
import java.io.File;
import java.io.IOException;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The web console against a real cluster (etcd, four storage nodes, a gateway, a coordinator healing
 * seconds after a node goes): its API refuses what the signed-in key could not do, and Debian's headless
 * Chromium signs in, creates a bucket, uploads a file and sees it listed, downloads it byte-exact, sees a
 * killed node down and objects degraded, and watches healing bring them back to 0. Screenshots of each
 * page go to target/console-screenshots. Skipped, saying so, where Debian's chromium and chromium-driver
 * are not installed ({@code ./basalt test} installs them).
 */
class ConsoleBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("target", "console-screenshots");

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static Coordinator coordinator;
    static EtcdMetadata meta;
    static MetricsServer gatewayMetrics;
    static ConsoleServer console;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 4, 2, 1);
        // heals a down node's shards 6 s after it went (the default waits minutes for it to come back): long
        // enough for the page to show the objects degraded first, short enough for a quick test
        coordinator = Coordinator.start(new Coordinator.Config(
                        "console-test-coordinator",
                        List.of(cluster.etcd.endpoint()),
                        "/basalt/",
                        Duration.ofMinutes(1),
                        Duration.ofSeconds(10),
                        10,
                        Coordinator.Config.DEFAULT_UPLOAD_EXPIRY,
                        Duration.ofSeconds(6))
                .withClusterTls(cluster.tls));
        meta = cluster.metadata();
        gatewayMetrics = MetricsServer.start("127.0.0.1:0", cluster.gateway.metrics(), () -> true);
        console = ConsoleServer.start(
                ConsoleConfig.of(
                        "127.0.0.1:0",
                        URI.create(cluster.endpoint()),
                        List.of(URI.create("http://127.0.0.1:" + gatewayMetrics.port() + "/metrics"))),
                meta,
                null,
                () -> true);
        base = "http://127.0.0.1:" + console.port();
    }

    @AfterAll
    static void stop() {
        if (console != null) console.close();
        if (gatewayMetrics != null) gatewayMetrics.close();
        if (meta != null) meta.close();
        if (coordinator != null) coordinator.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void apiActsOnlyAsTheSignedInKeyMay() throws Exception {
        ApiClient anonymous = new ApiClient();
        assertEquals(401, anonymous.get("/api/buckets").statusCode(), "no session, no buckets");
        assertEquals("{\"signed_in\":false}", anonymous.get("/api/session").body());
        assertEquals(
                401,
                anonymous
                        .post("/api/login", "{\"access_key\":\"minioadmin\",\"secret_key\":\"wrong\"}")
                        .statusCode(),
                "a wrong secret does not sign in");
        assertEquals(200, anonymous.get("/health").statusCode());
        HttpResponse<String> page = anonymous.get("/");
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), "the page is HTML");
        assertTrue(
                page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
        assertTrue(anonymous
                .get("/app.js")
                .headers()
                .firstValue("Content-Type")
                .orElse("")
                .startsWith("text/javascript"));

        ApiClient root = new ApiClient();
        HttpResponse<String> login = root.login(TestCluster.ACCESS_KEY, TestCluster.SECRET_KEY);
        assertEquals(200, login.statusCode(), login.body());
        assertFalse(login.body().contains("secret"), "the secret is not sent back: " + login.body());
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(setCookie.contains("HttpOnly"), setCookie);
        assertTrue(setCookie.contains("SameSite=Strict"), setCookie);
        assertFalse(setCookie.contains(TestCluster.SECRET_KEY), "the cookie is a session id, not the key");
        // a change without the console's header is refused (a cross-site form cannot add one)
        HttpResponse<String> forged = root.http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/buckets"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"forged\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, forged.statusCode());
        assertEquals(200, root.post("/api/buckets", "{\"name\":\"paged\"}").statusCode());
        for (int i = 0; i < 5; i++) {
            int n = i;
            cluster.client()
                    .putObject(
                            r -> r.bucket("paged").key("dir/o-" + String.format("%03d", n)),
                            RequestBody.fromString("x"));
        }
        HttpResponse<String> first = root.get("/api/objects?bucket=paged&prefix=dir/&max=3");
        assertEquals(3, count(first.body(), "\"key\":"), "a page holds what it was asked for: " + first.body());
        String token = first.body().replaceAll("(?s).*\"next_token\":\"([^\"]+)\".*", "$1");
        HttpResponse<String> second = root.get("/api/objects?bucket=paged&prefix=dir/&max=3&token="
                + java.net.URLEncoder.encode(token, java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(second.body().contains("\"key\":\"dir/o-003\""), second.body());
        assertEquals(2, count(second.body(), "\"key\":"), second.body());
        assertTrue(second.body().contains("\"next_token\":null"), second.body());
        assertEquals(400, root.get("/api/objects?bucket=paged&max=0").statusCode());
        assertTrue(root.get("/api/objects?bucket=paged").body().contains("\"prefixes\":[\"dir/\"]"));

        // a key of its own with a read grant in "paged" only: it browses that bucket, and nothing else
        AccessStore keys = meta.access();
        AccessKeys.Issued reader = AccessKeys.issue("console-reader", cluster.clusterKey, System.currentTimeMillis());
        assertTrue(keys.create(reader.record()));
        keys.grant(
                "paged",
                reader.record().getAccessKeyId(),
                BucketGrant.newBuilder().setRead(true).build());
        ApiClient limited = new ApiClient();
        HttpResponse<String> limitedLogin = limited.login(reader.record().getAccessKeyId(), reader.secret());
        assertEquals(200, limitedLogin.statusCode(), limitedLogin.body());
        assertTrue(limitedLogin.body().contains("\"root\":false"), limitedLogin.body());
        assertFalse(limitedLogin.body().contains(reader.secret()), "the secret is not sent back");
        awaitStatus(200, () -> limited.get("/api/objects?bucket=paged&prefix=dir/"), "the grant reaches the gateway");
        assertEquals(403, limited.get("/api/overview").statusCode(), "cluster status is the root key's");
        assertEquals(403, limited.post("/api/ops/heal", "{}").statusCode(), "operations are the root key's");
        assertEquals(
                403, limited.post("/api/ops/drain", "{\"node\":\"node-4\"}").statusCode());
        assertEquals(
                403, limited.post("/api/buckets", "{\"name\":\"not-yours\"}").statusCode(), "as S3 says");
        assertEquals(
                403, limited.delete("/api/object?bucket=paged&key=dir/o-000").statusCode(), "read-only grant");
        assertEquals(
                200, root.get("/api/object/details?bucket=paged&key=dir/o-000").statusCode());
        assertFalse(meta.admin().drains().containsKey("node-4"), "the refused drain changed nothing");

        assertEquals(200, root.post("/api/logout", "{}").statusCode());
        assertEquals(401, root.get("/api/buckets").statusCode(), "signed out");
    }

    @Test
    void browserSignsInUploadsDownloadsAndWatchesHealing() throws Exception {
        Assumptions.assumeTrue(
                Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "SKIPPED: the console's browser test needs Debian's chromium and chromium-driver"
                        + " (/usr/bin/chromium, /usr/bin/chromedriver): apt-get install chromium chromium-driver,"
                        + " as ./basalt test does");
        Files.createDirectories(SHOTS);
        Path downloads = Files.createDirectories(dir.resolve("downloads"));
        Path upload = dir.resolve("upload").resolve("segment-0001.bin");
        Files.createDirectories(upload.getParent());
        byte[] body = new byte[1_500_000];
        new Random(16).nextBytes(body);
        Files.write(upload, body);

        WebDriver browser = chromium(downloads);
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
            browser.get(base + "/");
            browser.findElement(By.id("login-access")).sendKeys(TestCluster.ACCESS_KEY);
            browser.findElement(By.id("login-secret")).sendKeys(TestCluster.SECRET_KEY);
            browser.findElement(By.id("login-submit")).click();
            wait.until(d -> text(d, By.id("stat-nodes-live")).equals("4"));
            Cookie cookie = browser.manage().getCookieNamed("basalt_console");
            assertNotNull(cookie, "signed in with a session cookie");
            assertTrue(cookie.isHttpOnly(), "scripts cannot read the session cookie");
            assertEquals("Strict", cookie.getSameSite());
            assertFalse(
                    String.valueOf(((JavascriptExecutor) browser).executeScript("return document.cookie"))
                            .contains(cookie.getValue()),
                    "the page's scripts see no session id");
            assertEquals("", browser.findElement(By.id("login-secret")).getAttribute("value"), "the secret is cleared");

            browser.get(base + "/#/buckets");
            wait.until(d -> !d.findElements(By.id("new-bucket-name")).isEmpty());
            browser.findElement(By.id("new-bucket-name")).sendKeys("milvus-bucket");
            browser.findElement(By.id("create-bucket")).click();
            wait.until(d -> !d.findElements(By.cssSelector("tr[data-bucket='milvus-bucket']"))
                    .isEmpty());
            screenshot(browser, "2-buckets");

            browser.findElement(By.cssSelector("tr[data-bucket='milvus-bucket'] a.bucket-link"))
                    .click();
            wait.until(d -> !d.findElements(By.id("upload-input")).isEmpty());
            browser.findElement(By.id("upload-input"))
                    .sendKeys(upload.toAbsolutePath().toString());
            browser.findElement(By.id("upload-button")).click();
            By row = By.cssSelector("tr.object-row[data-key='segment-0001.bin']");
            wait.until(d -> !d.findElements(row).isEmpty());
            assertEquals("100", browser.findElement(By.id("upload-progress")).getAttribute("value"));
            assertEquals(
                    "1.4 MiB",
                    browser.findElement(row)
                            .findElement(By.cssSelector("td.size"))
                            .getText());
            screenshot(browser, "3-browse");

            browser.findElement(row)
                    .findElement(By.cssSelector("a.download-link"))
                    .click();
            Path downloaded = downloads.resolve("segment-0001.bin");
            wait.until(d -> Files.isRegularFile(downloaded) && size(downloaded) == body.length);
            assertArrayEquals(body, Files.readAllBytes(downloaded), "the download is byte-exact");

            browser.findElement(row)
                    .findElement(By.cssSelector("a.details-link"))
                    .click();
            wait.until(d -> !d.findElements(By.id("detail-etag")).isEmpty());
            WebElement shards = browser.findElement(By.cssSelector("table.shards"));
            Segment segment = meta.store()
                    .getObject("milvus-bucket", "segment-0001.bin")
                    .orElseThrow()
                    .getSegments(0);
            assertEquals(
                    segment.getLayout().getK() + "+" + segment.getLayout().getM(), shards.getAttribute("data-layout"));
            assertEquals(
                    segment.getNodeIds(0),
                    shards.findElement(By.cssSelector("tr[data-shard='0'] td:nth-child(3)"))
                            .getText());
            assertEquals("healthy", text(browser, By.id("detail-health")));
            screenshot(browser, "4-object");

            // a storage node holding a shard of the object stops: the overview shows it down and the object degraded
            String victim = segment.getNodeIds(0);
            cluster.stopNode(Integer.parseInt(victim.substring("node-".length())) - 1);
            browser.get(base + "/#/overview");
            By victimState = By.cssSelector("tr[data-node='" + victim + "'] td.state");
            wait.until(d -> text(d, victimState).equals("down")
                    && Integer.parseInt(text(d, By.id("stat-objects-degraded"))) >= 1);
            screenshot(browser, "5-overview-degraded");
            new WebDriverWait(browser, Duration.ofSeconds(45))
                    .until(d -> text(d, By.id("stat-objects-degraded")).equals("0"));
            assertEquals("0", text(browser, By.id("stat-objects-degraded")), "healing brought every object back");
            assertEquals("1", text(browser, By.id("stat-nodes-down")));
            String survivor = victim.equals("node-1") ? "node-2" : "node-1";
            assertTrue(
                    text(browser, By.cssSelector("tr[data-node='" + survivor + "'] td.dirs"))
                            .contains(dir.resolve(survivor).toString()),
                    "the overview names each node's data dirs");
            screenshot(browser, "1-overview");

            browser.get(base + "/#/object?bucket=milvus-bucket&key=segment-0001.bin");
            wait.until(d -> text(d, By.id("detail-health")).equals("healthy"));

            browser.get(base + "/#/operations");
            wait.until(d ->
                    !d.findElements(By.cssSelector("#ops-nodes tr[data-node]")).isEmpty());
            browser.findElement(By.id("heal-now")).click();
            wait.until(d -> text(d, By.id("ops-note")).startsWith("Full heal scan"));
            browser.findElement(By.id("heal-rate-input")).sendKeys("40");
            browser.findElement(By.id("heal-rate-set")).click();
            wait.until(d -> meta.admin()
                    .setting("heal-rate-mbps")
                    .map(v -> Double.parseDouble(v) == 40)
                    .orElse(false));
            // drain a live node, then undrain it: the leader's requests in etcd follow the buttons
            By drain = By.cssSelector("#ops-nodes tr[data-node='" + survivor + "'] button.drain");
            wait.until(d -> !d.findElements(drain).isEmpty());
            click(wait, drain);
            browser.switchTo().alert().accept();
            By undrain = By.cssSelector("#ops-nodes tr[data-node='" + survivor + "'] button.undrain");
            wait.until(d -> !d.findElements(undrain).isEmpty());
            assertTrue(meta.admin().drains().containsKey(survivor), "the drain is in etcd");
            screenshot(browser, "6-operations");
            click(wait, undrain);
            wait.until(d -> !d.findElements(drain).isEmpty());
            assertFalse(meta.admin().drains().containsKey(survivor), "undrained");
            // nothing the page did was refused by its own Content-Security-Policy, and no script failed
            List<String> severe = browser.manage().logs().get("browser").getAll().stream()
                    .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                    .map(e -> e.getMessage())
                    .toList();
            assertEquals(List.of(), severe, "errors in the browser's console");
        } finally {
            browser.quit();
        }
    }

    private static WebDriver chromium(Path downloads) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900");
        Map<String, Object> prefs = new HashMap<>();
        prefs.put("download.default_directory", downloads.toAbsolutePath().toString());
        prefs.put("download.prompt_for_download", false);
        options.setExperimentalOption("prefs", prefs);
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        try {
            return new ChromeDriver(service, options);
        } catch (org.openqa.selenium.SessionNotCreatedException e) {
            // installed but unable to start here (no usable display stack, a broken package): nothing to test with
            return Assumptions.abort(
                    "SKIPPED: Debian's chromium is installed but cannot start a headless session here: "
                            + e.getRawMessage());
        }
    }

    private static String text(WebDriver d, By by) {
        List<WebElement> found = d.findElements(by);
        try {
            return found.isEmpty() ? "" : found.get(0).getText().trim();
        } catch (org.openqa.selenium.StaleElementReferenceException e) {
            return ""; // the page redrew it meanwhile: read again on the next poll
        }
    }

    /** Clicks what {@code by} finds, again if the page redrew it between finding and clicking. */
    private static void click(WebDriverWait wait, By by) {
        wait.until(d -> {
            try {
                d.findElement(by).click();
                return true;
            } catch (org.openqa.selenium.StaleElementReferenceException
                    | org.openqa.selenium.NoSuchElementException e) {
                return false;
            }
        });
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    private static void screenshot(WebDriver browser, String name) throws IOException {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(SHOTS.resolve(name + ".png"), png);
    }

    private static int count(String s, String what) {
        return s.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    private static void awaitStatus(int status, Supplier<HttpResponse<String>> call, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            last = call.get().statusCode();
            if (last == status) return;
            Thread.sleep(100);
        }
        assertEquals(status, last, what);
    }

    /** The console's API as its page calls it: the session cookie kept, the console's header on changes. */
    static final class ApiClient {
        final CookieManager cookies = new CookieManager();
        final HttpClient http = HttpClient.newBuilder().cookieHandler(cookies).build();

        HttpResponse<String> login(String access, String secret) {
            return post("/api/login", "{\"access_key\":\"" + access + "\",\"secret_key\":\"" + secret + "\"}");
        }

        HttpResponse<String> get(String path) {
            return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
        }

        HttpResponse<String> post(String path, String json) {
            return send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("X-Basalt-Console", "1")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)));
        }

        HttpResponse<String> delete(String path) {
            return send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("X-Basalt-Console", "1")
                    .DELETE());
        }

        List<HttpCookie> cookies() {
            return cookies.getCookieStore().getCookies();
        }

        private HttpResponse<String> send(HttpRequest.Builder req) {
            try {
                return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
