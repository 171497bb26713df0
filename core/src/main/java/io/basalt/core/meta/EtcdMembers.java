package io.basalt.core.meta;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.options.GetOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The etcd members a metadata store's calls go to, each over a client of its own, and which of them answer.
 *
 * <p>Why not jetcd's round robin over one channel: it keeps sending to a member that froze or was cut off until
 * gRPC's keepalive gives up on the connection (up to 13 s, {@link Etcd#connect}), and each call sent there
 * meanwhile waits out its deadline. With one member of three frozen, a tenth of a gateway's writes failed and its
 * p99 rose to 10 s. Here a member that lets a call time out, cannot be reached, or is beaten by another member on
 * a hedged read ({@link EtcdMetadataStore}), is <em>suspect</em>: it gets no calls while another member is not, and
 * a probe asks it every half second until it answers again.
 *
 * <p>With one endpoint there is nothing to choose: the store's calls go through its one client as before.
 */
final class EtcdMembers implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(EtcdMembers.class);
    private static final long PROBE_EVERY_MS = 500;
    private static final long PROBE_TIMEOUT_MS = 1_000;
    private static final Executor PROBE_DELAY =
            CompletableFuture.delayedExecutor(PROBE_EVERY_MS, TimeUnit.MILLISECONDS);

    /** One member: the client that reaches it, and whether it has lately failed to answer. */
    static final class Member {
        private final String name;
        private final KV kv;
        private final Lease lease;
        private final AtomicBoolean suspect = new AtomicBoolean();

        Member(String name, Client client) {
            this.name = name;
            this.kv = client.getKVClient();
            this.lease = client.getLeaseClient();
        }

        KV kv() {
            return kv;
        }

        Lease lease() {
            return lease;
        }

        boolean suspect() {
            return suspect.get();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final List<Member> members;
    private final ByteSequence probeKey;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean closed;

    private EtcdMembers(List<Member> members, ByteSequence probeKey) {
        this.members = members;
        this.probeKey = probeKey;
    }

    /** Calls go through {@code client} alone (one endpoint, or a caller's client): no choice, no probes. */
    static EtcdMembers one(Client client) {
        return new EtcdMembers(List.of(new Member("etcd", client)), null);
    }

    /**
     * Calls go through {@code clients}, one per member, named by {@code endpoints}; a suspect member is probed
     * with a read of {@code probeKey} (any key: only the answer counts). The caller closes the clients.
     */
    static EtcdMembers each(List<String> endpoints, List<Client> clients, String probeKey) {
        if (endpoints.size() != clients.size()) throw new IllegalArgumentException("one client per endpoint");
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) members.add(new Member(endpoints.get(i), clients.get(i)));
        return new EtcdMembers(List.copyOf(members), Etcd.bs(probeKey));
    }

    /** More than one member to choose from: a slow call may be asked of another. */
    boolean several() {
        return members.size() > 1;
    }

    /** The next member in turn that is not suspect; the next in turn when all are. */
    Member pick() {
        return inTurn().getFirst();
    }

    /** A member other than {@code not} that is not suspect, or null when there is none. */
    Member other(Member not) {
        for (Member m : inTurn()) {
            if (m.suspect()) return null; // the suspect ones come last
            if (m != not) return m;
        }
        return null;
    }

    /** Every member, the ones not suspect first, each group in turn from the next start. */
    List<Member> inTurn() {
        int start = Math.floorMod(next.getAndIncrement(), members.size());
        List<Member> answering = new ArrayList<>(members.size()), suspect = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get((start + i) % members.size());
            (m.suspect() ? suspect : answering).add(m);
        }
        answering.addAll(suspect);
        return answering;
    }

    /** {@code m} did not answer in time: no more calls to it while another member answers, until it answers a probe. */
    void suspect(Member m) {
        if (!several() || !m.suspect.compareAndSet(false, true)) return;
        log.debug("etcd member {} did not answer in time; probing it", m);
        probe(m, 1);
    }

    /** The members now suspect, by name. */
    List<String> suspects() {
        return members.stream().filter(Member::suspect).map(Member::toString).toList();
    }

    /**
     * Asks {@code m} until it answers. A member merely slower than another once (a hedged read lost) answers the
     * first probe: that is not worth a line in the log; one that misses a probe is.
     */
    private void probe(Member m, int attempt) {
        CompletableFuture.runAsync(() -> {}, PROBE_DELAY)
                .thenCompose(ignored -> m.kv.get(
                                probeKey,
                                GetOption.builder().withCountOnly(true).build())
                        .orTimeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                .whenComplete((answer, failure) -> {
                    if (closed) return;
                    if (failure != null) {
                        if (attempt == 1) {
                            log.warn("etcd member {} does not answer; calls go to the other members until it does", m);
                        }
                        probe(m, attempt + 1);
                    } else {
                        m.suspect.set(false);
                        if (attempt > 1) log.info("etcd member {} answers again", m);
                    }
                });
    }

    /** The member could not be reached (as against an answer that was an error). */
    static boolean unreachable(Throwable t) {
        for (; t != null; t = t.getCause()) {
            if (t instanceof EtcdException e && e.getErrorCode() == ErrorCode.UNAVAILABLE) return true;
            if (t instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.UNAVAILABLE)
                return true;
        }
        return false;
    }

    /** Stops probing; the clients are their owner's to close. */
    @Override
    public void close() {
        closed = true;
    }
}
