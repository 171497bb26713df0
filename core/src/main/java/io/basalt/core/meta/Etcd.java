package io.basalt.core.meta;

import com.google.common.util.concurrent.MoreExecutors;
import io.basalt.core.tls.ClusterTls;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** Builds jetcd clients with the settings every Basalt process uses, and the two helpers every etcd call wants. */
public final class Etcd {

    private Etcd() {}

    /** A client of a plaintext etcd (tests, a cluster run with {@code --cluster-tls none}). */
    public static Client connect(List<String> endpoints) {
        return connect(endpoints, null);
    }

    /**
     * A client of etcd, over TLS with the cluster's certificates when {@code tls} is not null (etcd then
     * authenticates this process by its client certificate).
     */
    public static Client connect(List<String> endpoints, ClusterTls tls) {
        // A member that froze or was cut off leaves the channel's round robin once a ping goes unanswered:
        // within 10 + 3 s (grpc-java pings no more often than every 10 s). The metadata stores (EtcdMembers) and
        // lease renewal (LeaseRenewal) do not wait for that; everything else sent to that member meanwhile fails at
        // its deadline.
        return timed(builder(endpoints, tls)).build();
    }

    /**
     * A client of one etcd member among several ({@link EtcdMembers}, {@link LeaseRenewal}): as {@link #connect},
     * except that a call made while the member is down fails at once (UNAVAILABLE, connection refused) instead of
     * waiting for it to come back, which is jetcd's default: another member can take the call.
     */
    static Client connectMember(String endpoint, ClusterTls tls) {
        return timed(builder(List.of(endpoint), tls)).waitForReady(false).build();
    }

    /**
     * Every KV read and transaction is a unary call that a request thread waits for. jetcd would start each on its
     * own thread pool and gRPC would hand each answer to its executor before the waiting thread is woken: two
     * context switches more per call (under ranged GETs the threads serving etcd calls took a fifth of a gateway's
     * CPU). Here the call starts on the caller's thread and its answer completes the future on the transport's
     * thread. What runs there is only completing futures and the non-blocking continuations of this package
     * (nothing waits on another etcd call in one); streaming calls (watches, lease keep-alives) keep gRPC's executor.
     */
    private static final ExecutorService CALLER_RUNS = MoreExecutors.newDirectExecutorService();

    private static final ClientInterceptor UNARY_ON_TRANSPORT = new ClientInterceptor() {
        @Override
        public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
            return next.newCall(
                    method,
                    method.getType() == MethodDescriptor.MethodType.UNARY
                            ? options.withExecutor(MoreExecutors.directExecutor())
                            : options);
        }
    };

    /** The connect timeout and keepalive pings every Basalt client of etcd uses. */
    private static ClientBuilder timed(ClientBuilder b) {
        return b.executorService(CALLER_RUNS)
                .interceptor(UNARY_ON_TRANSPORT)
                .connectTimeout(Duration.ofSeconds(5))
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(3));
    }

    /**
     * jetcd's builder for {@code endpoints}, over TLS when {@code tls} is not null. The endpoints' scheme must
     * say the same (https:// with TLS, http:// without), so that a configuration never reads as the other.
     */
    static ClientBuilder builder(List<String> endpoints, ClusterTls tls) {
        String want = tls == null ? "http://" : "https://";
        for (String e : endpoints) {
            if (!e.startsWith(want)) {
                throw new IllegalArgumentException("etcd endpoint " + e
                        + (tls == null
                                ? ": an https:// etcd needs --cluster-tls (its CA and a client certificate)"
                                : ": with --cluster-tls etcd is reached over TLS; use https://"));
            }
        }
        ClientBuilder b = Client.builder().endpoints(endpoints.toArray(String[]::new));
        if (tls == null) return b;
        // No channel-wide authority: without one, jetcd's resolver gives each endpoint's address its own
        // (host:port), so each member's certificate is checked against the host it was dialled at and need name
        // only that (EtcdTlsTest). A channel authority would make one name stand for every member.
        return b.sslContext(tls.clientContext());
    }

    public static List<String> parseEndpoints(String csv) {
        return List.of(csv.split(",")).stream()
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    /** A key or value as etcd bytes (UTF-8). */
    public static ByteSequence bs(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** Waits up to 10 s for an etcd call; any failure becomes an IllegalStateException naming etcd. */
    public static <T> T await(CompletableFuture<T> f) {
        return await(f, Duration.ofSeconds(10));
    }

    /** {@link #await(CompletableFuture)}, waiting up to {@code timeout}. */
    public static <T> T await(CompletableFuture<T> f, Duration timeout) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("etcd: " + e.getMessage(), e);
        }
    }
}
