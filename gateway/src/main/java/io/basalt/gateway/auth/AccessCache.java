package io.basalt.gateway.auth;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import io.basalt.core.meta.AccessStore;
import io.basalt.core.meta.Subscription;
import io.basalt.core.secrets.AccessKeys;
import io.basalt.core.secrets.ClusterKey;
import io.basalt.proto.meta.AccessKeyRecord;
import io.basalt.proto.meta.BucketGrant;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The access keys, grants and bucket policies kept in etcd, as this gateway sees them: read on first
 * use, cached, and evicted by an etcd watch the moment they change, so a new, changed or deleted one
 * holds on every gateway within the watch's delay (milliseconds), not a cache lifetime. Entries
 * also expire after a minute, a bound should a watch event ever be missed.
 */
public final class AccessCache implements KeyRing, AutoCloseable {

    private static final Logger log = LogManager.getLogger(AccessCache.class);
    private static final Duration REWATCH_AFTER = Duration.ofSeconds(1);

    private record GrantOf(String bucket, String accessKeyId) {}

    private final AccessStore store;
    private final ClusterKey clusterKey; // null: stored keys cannot be opened, so none is usable
    private final LoadingCache<String, Optional<String>> secrets;
    private final LoadingCache<GrantOf, Optional<BucketGrant>> grants;
    private final LoadingCache<String, Optional<BucketPolicy>> policies;
    private volatile Subscription watch;
    private volatile boolean closed;

    public AccessCache(AccessStore store, ClusterKey clusterKey) {
        this.store = store;
        this.clusterKey = clusterKey;
        this.secrets = Caffeine.newBuilder()
                .maximumSize(10_000)
                .expireAfterWrite(Duration.ofMinutes(1))
                .build(this::loadSecret);
        this.grants = Caffeine.newBuilder()
                .maximumSize(100_000)
                .expireAfterWrite(Duration.ofMinutes(1))
                .build(g -> store.grantOf(g.bucket(), g.accessKeyId()));
        this.policies = Caffeine.newBuilder()
                .maximumSize(10_000)
                .expireAfterWrite(Duration.ofMinutes(1))
                .build(this::loadPolicy);
        watch();
    }

    @Override
    public Optional<String> secretFor(String accessKeyId) {
        if (!AccessKeys.plausibleId(accessKeyId)) return Optional.empty();
        return secrets.get(accessKeyId);
    }

    /** What the key may do in the bucket; empty when nothing. */
    public Optional<BucketGrant> grant(String bucket, String accessKeyId) {
        return grants.get(new GrantOf(bucket, accessKeyId));
    }

    /** The bucket's policy; empty when it has none. */
    public Optional<BucketPolicy> policy(String bucket) {
        return policies.get(bucket);
    }

    private Optional<BucketPolicy> loadPolicy(String bucket) {
        return store.policy(bucket).map(json -> {
            try {
                return BucketPolicy.parse(json, bucket);
            } catch (RuntimeException e) {
                // put by a version that understood more: failing closed denies the bucket to every key but root
                log.warn(
                        "the policy of bucket {} cannot be read here ({}): it denies every key",
                        bucket,
                        e.getMessage());
                return BucketPolicy.DENY_ALL;
            }
        });
    }

    private Optional<String> loadSecret(String accessKeyId) {
        Optional<AccessKeyRecord> record = store.get(accessKeyId);
        if (record.isEmpty()) return Optional.empty();
        if (clusterKey == null) {
            log.warn("access key {} is stored, but this gateway has no --cluster-key to open its secret", accessKeyId);
            return Optional.empty();
        }
        try {
            return Optional.of(AccessKeys.secretOf(record.get(), clusterKey));
        } catch (GeneralSecurityException e) {
            log.warn("access key {} cannot be used: {}", accessKeyId, e.getMessage());
            return Optional.empty();
        }
    }

    private void watch() {
        watch = store.watch(
                change -> {
                    switch (change) {
                        case AccessStore.Change.Key k -> secrets.invalidate(k.accessKeyId());
                        case AccessStore.Change.Grant g -> grants.invalidate(new GrantOf(g.bucket(), g.accessKeyId()));
                        case AccessStore.Change.Policy p -> policies.invalidate(p.bucket());
                    }
                },
                failure -> {
                    // Changes made while no watch runs would go unseen: forget everything, watch again.
                    secrets.invalidateAll();
                    grants.invalidateAll();
                    policies.invalidateAll();
                    if (closed) return;
                    log.warn("the watch on access keys broke ({}); watching again", failure.toString());
                    CompletableFuture.delayedExecutor(REWATCH_AFTER.toMillis(), TimeUnit.MILLISECONDS)
                            .execute(() -> {
                                if (!closed) watch();
                            });
                });
    }

    @Override
    public void close() {
        closed = true;
        Subscription w = watch;
        if (w != null) w.close();
    }
}
