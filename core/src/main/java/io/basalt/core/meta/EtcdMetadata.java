package io.basalt.core.meta;

import io.basalt.core.tls.ClusterTls;
import io.etcd.jetcd.Client;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link ClusterMetadata} on one etcd cluster: over one client, and with several members a client per member too. */
public final class EtcdMetadata implements ClusterMetadata {

    private final Client client;
    private final Keys keys;
    private final boolean ownsClient;
    private final List<Client> memberClients;
    private final EtcdMetadataStore store;
    private final EtcdHealQueue heals;
    private final EtcdGarbageQueue garbage;
    private final EtcdClusterAdmin admin;
    private final EtcdNodeRegistry nodes;
    private final EtcdRecordInventory inventory;
    private final EtcdAccessStore access;

    /**
     * @param memberEndpoints the etcd members, named as {@code memberClients}
     * @param memberClients one client per etcd member, which the store's calls go to ({@link EtcdMembers}) and node
     *     leases are renewed through ({@link LeaseRenewal}); empty when {@code client} alone is to do both
     */
    private EtcdMetadata(
            Client client, Keys keys, boolean ownsClient, List<String> memberEndpoints, List<Client> memberClients) {
        this.client = client;
        this.keys = keys;
        this.ownsClient = ownsClient;
        this.memberClients = memberClients;
        EtcdCalls calls = new EtcdCalls(
                memberClients.isEmpty()
                        ? EtcdMembers.one(client)
                        : EtcdMembers.each(memberEndpoints, memberClients, keys.root() + "probe"),
                keys);
        this.store = new EtcdMetadataStore(client, calls, keys);
        this.heals = new EtcdHealQueue(client.getKVClient(), keys);
        this.garbage = new EtcdGarbageQueue(client.getKVClient(), keys);
        this.admin = new EtcdClusterAdmin(client, calls, keys);
        this.nodes = new EtcdNodeRegistry(client, keys, this::leaseRenewal);
        this.inventory = new EtcdRecordInventory(client.getKVClient(), keys);
        this.access = new EtcdAccessStore(client, calls, keys);
    }

    /** Connects with the timeouts and keep-alives every Basalt process uses ({@link Etcd#connect}). */
    public static EtcdMetadata connect(List<String> endpoints, Keys keys) {
        return connect(endpoints, keys, null);
    }

    /** As {@link #connect(List, Keys)}, over TLS with the cluster's certificates when {@code tls} is not null. */
    public static EtcdMetadata connect(List<String> endpoints, Keys keys, ClusterTls tls) {
        // jetcd does not connect until a call is made: a member client nothing uses costs no connection
        List<Client> each = endpoints.size() < 2
                ? List.of()
                : endpoints.stream().map(e -> Etcd.connectMember(e, tls)).toList();
        return new EtcdMetadata(Etcd.connect(endpoints, tls), keys, true, endpoints, each);
    }

    /** Over a client the caller keeps and closes itself (tests that also read etcd directly). */
    public static EtcdMetadata over(Client client, Keys keys) {
        return new EtcdMetadata(client, keys, false, List.of(), List.of());
    }

    public Client client() {
        return client;
    }

    public Keys keys() {
        return keys;
    }

    @Override
    public MetadataStore store() {
        return store;
    }

    @Override
    public HealQueue heals() {
        return heals;
    }

    @Override
    public GarbageQueue garbage() {
        return garbage;
    }

    @Override
    public ClusterAdmin admin() {
        return admin;
    }

    @Override
    public NodeRegistry nodes() {
        return nodes;
    }

    @Override
    public AccessStore access() {
        return access;
    }

    @Override
    public RecordInventory inventory() {
        return inventory;
    }

    @Override
    public LeaderElection election(String candidateId, long ttlSeconds, LeaderElection.Listener listener) {
        return new EtcdLeaderElection(client, leaseRenewal(), keys.election(), candidateId, ttlSeconds, listener);
    }

    /** Renews leases through every member when there are several ({@link LeaseRenewal}), else through the client. */
    private LeaseRenewal leaseRenewal() {
        return memberClients.isEmpty() ? LeaseRenewal.through(client) : LeaseRenewal.throughEach(memberClients);
    }

    /** etcd's cluster id. */
    @Override
    public String clusterId() {
        try {
            return Long.toHexString(client.getClusterClient()
                    .listMember()
                    .get(10, TimeUnit.SECONDS)
                    .getHeader()
                    .getClusterId());
        } catch (Exception e) {
            throw new MetadataUnavailableException("etcd: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        store.close();
        memberClients.forEach(Client::close);
        if (ownsClient) client.close();
    }
}
