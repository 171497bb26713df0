package io.basalt.core.meta;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The etcd key space. Keys are UTF-8 and etcd sorts them bytewise, which is S3's listing
 * order, so an object listing is a range scan under {@link #objectPrefix}.
 * Bucket names cannot contain '/', so "objects/&lt;bucket&gt;/" never overlaps another bucket.
 */
public record Keys(String root) {

    public Keys {
        if (!root.endsWith("/")) throw new IllegalArgumentException("etcd prefix must end with '/': " + root);
    }

    public static Keys defaults() {
        return new Keys("/basalt/");
    }

    public String nodes() {
        return root + "nodes/";
    }

    public String node(String nodeId) {
        return nodes() + nodeId;
    }

    public String buckets() {
        return root + "buckets/";
    }

    public String bucket(String name) {
        return buckets() + name;
    }

    /**
     * Present (under a short lease) while a DeleteBucket checks that the bucket is empty; every
     * transaction that creates an object or upload key in the bucket requires it absent.
     */
    public String bucketDeleting(String name) {
        return root + "bucket-deleting/" + name;
    }

    /** Every bucket's object records. */
    public String objects() {
        return root + "objects/";
    }

    /** Every upload's part records. */
    public String parts() {
        return root + "parts/";
    }

    public String objectPrefix(String bucket) {
        return root + "objects/" + bucket + "/";
    }

    public String object(String bucket, String key) {
        return objectPrefix(bucket) + key;
    }

    /** Present once the bucket's versioning was configured (Enabled or Suspended). */
    public String versioning(String bucket) {
        return root + "versioning/" + bucket;
    }

    /** Every bucket's noncurrent versions and delete markers. */
    public String versions() {
        return root + "versions/";
    }

    /** A versioned bucket's noncurrent versions and delete markers, by key, newest first within a key. */
    public String versionPrefix(String bucket) {
        return versions() + bucket + "/";
    }

    /**
     * The versions of one key: "&lt;key&gt;\0" (NUL is never in a key, and sorts before every character, so
     * a key's versions come together and in key order) then per version its sort key.
     */
    public String versionsOf(String bucket, String key) {
        return versionPrefix(bucket) + key + VERSION_SEPARATOR;
    }

    public static final char VERSION_SEPARATOR = '\0';

    /** A version's key: newest first (the time inverted), then the version id. */
    public String version(String bucket, String key, long modifiedUnixMs, String versionId) {
        return versionsOf(bucket, key) + String.format(Locale.ROOT, "%016x", Long.MAX_VALUE - modifiedUnixMs) + "."
                + versionId;
    }

    public String uploadPrefix(String bucket) {
        return root + "uploads/" + bucket + "/";
    }

    public String upload(String bucket, String uploadId) {
        return uploadPrefix(bucket) + uploadId;
    }

    public String partPrefix(String uploadId) {
        return root + "parts/" + uploadId + "/";
    }

    public String part(String uploadId, int partNumber) {
        // ASCII digits whatever the default locale: every process must write and sort the same keys.
        return partPrefix(uploadId) + String.format(Locale.ROOT, "%05d", partNumber);
    }

    public String garbagePrefix() {
        return root + "gc/";
    }

    public String garbage(String id) {
        return garbagePrefix() + id;
    }

    /** A transaction's fence ({@link TransactionFences}): written only when the transaction timed out. */
    public String fence(String id) {
        return root + "fence/" + id;
    }

    public String healPrefix() {
        return root + "heal/";
    }

    public String heal(String shardSet) {
        return healPrefix() + shardSet;
    }

    public String election() {
        return root + "coordinator/leader";
    }

    /** Last record seen of every node that ever registered (no lease): admin status lists nodes that are down. */
    public String nodesSeen() {
        return root + "nodes-seen/";
    }

    public String nodeSeen(String nodeId) {
        return nodesSeen() + nodeId;
    }

    /** Runtime settings an operator may change, e.g. {@code config/heal-rate-mbps}. */
    public String config(String name) {
        return root + "config/" + name;
    }

    /**
     * Where gateways report a storage node they suspect of being slow or failed, one key per
     * reporter, bound to a lease as long as the suspicion: {@code suspects/<node>/<reporter>}.
     */
    public String suspectsPrefix() {
        return root + "suspects/";
    }

    public String suspect(String nodeId, String reporter) {
        return suspectsPrefix() + nodeId + "/" + reporter;
    }

    /** JSON status a leading process publishes, e.g. {@code status/coordinator}. */
    public String status(String component) {
        return root + "status/" + component;
    }

    /** An operator's request for a full heal scan; the leading coordinator removes it when done. */
    public String adminHealRequest() {
        return root + "admin/heal-request";
    }

    /** Nodes an operator is draining: {@code admin/drain/<node>}; new shards skip them while the key exists. */
    public String drainPrefix() {
        return root + "admin/drain/";
    }

    public String drain(String nodeId) {
        return drainPrefix() + nodeId;
    }

    /** An operator's request to even out usage; the leading coordinator removes it once usage is even. */
    public String adminRebalanceRequest() {
        return root + "admin/rebalance-request";
    }

    /** S3 access keys other than the root key: {@code access-keys/<id>}. */
    public String accessKeys() {
        return root + "access-keys/";
    }

    public String accessKey(String id) {
        return accessKeys() + id;
    }

    /** What keys may do in buckets: {@code grants/<bucket>/<key id>}. */
    public String grants() {
        return root + "grants/";
    }

    public String grantPrefix(String bucket) {
        return grants() + bucket + "/";
    }

    public String grant(String bucket, String accessKeyId) {
        return grantPrefix(bucket) + accessKeyId;
    }

    /** Bucket policies, their JSON as put: {@code bucket-policies/<bucket>}. */
    public String bucketPolicies() {
        return root + "bucket-policies/";
    }

    public String bucketPolicy(String bucket) {
        return bucketPolicies() + bucket;
    }

    /** Every bucket's lifecycle configuration; one key per bucket, removed with it. */
    public String lifecycles() {
        return root + "lifecycle/";
    }

    public String lifecycle(String bucket) {
        return lifecycles() + bucket;
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The smallest key greater than every key that starts with {@code prefix}. */
    public static byte[] prefixEnd(byte[] prefix) {
        byte[] end = Arrays.copyOf(prefix, prefix.length);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return new byte[] {0}; // the whole key space: etcd's "all keys >= key"
    }
}
