package io.basalt.core.lifecycle;

import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.LifecycleRule;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.UploadRecord;
import java.util.Map;
import java.util.OptionalLong;

/**
 * When a bucket's lifecycle rules end an object or an unfinished upload, by S3's arithmetic: an object
 * expires {@code Days} after its creation, rounded up to the next midnight UTC, or at a rule's {@code
 * Date}; an upload is aborted {@code DaysAfterInitiation} after it began, rounded the same way. Of several
 * matching rules the earliest wins. {@code dayMillis} is the length of a day: 86,400,000 in service, shorter
 * in tests (as Ceph's {@code rgw_lc_debug_interval}); midnights are then multiples of it since the epoch.
 */
public final class LifecycleRules {

    public static final long DAY_MILLIS = 86_400_000L;

    private LifecycleRules() {}

    /** The time at which {@code obj} (named {@code key}) expires, or empty when no enabled rule ends it. */
    public static OptionalLong expiry(LifecycleConfiguration config, String key, ObjectRecord obj, long dayMillis) {
        long best = Long.MAX_VALUE;
        for (LifecycleRule r : config.getRulesList()) {
            if (!r.getEnabled() || !matches(r, key, obj.getTagsMap(), obj.getSize())) continue;
            if (r.getExpirationDays() > 0) {
                best = Math.min(best, roundUp(obj.getModifiedUnixMs() + r.getExpirationDays() * dayMillis, dayMillis));
            }
            if (r.getExpirationDateUnixMs() > 0) best = Math.min(best, r.getExpirationDateUnixMs());
        }
        return best == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(best);
    }

    /**
     * The time at which a noncurrent version expires: {@code NoncurrentDays} after it became noncurrent
     * ({@code noncurrentSinceMs}, when the next newer version was made; rounded up to midnight as S3 does),
     * unless it is one of the {@code NewerNoncurrentVersions} newest noncurrent ones the rule keeps ({@code
     * newerNoncurrent} is how many noncurrent versions of the key are newer than it). Empty when no rule ends it.
     */
    public static OptionalLong noncurrentExpiry(
            LifecycleConfiguration config,
            String key,
            ObjectRecord version,
            long noncurrentSinceMs,
            int newerNoncurrent,
            long dayMillis) {
        long best = Long.MAX_VALUE;
        for (LifecycleRule r : config.getRulesList()) {
            if (!r.getEnabled() || r.getNoncurrentDays() == 0) continue;
            if (!matches(r, key, version.getTagsMap(), version.getSize())) continue;
            if (newerNoncurrent < r.getNewerNoncurrentVersions()) continue;
            best = Math.min(best, roundUp(noncurrentSinceMs + r.getNoncurrentDays() * dayMillis, dayMillis));
        }
        return best == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(best);
    }

    /** Whether an enabled rule taking {@code key} removes a delete marker left with no version behind it. */
    public static boolean removesExpiredDeleteMarker(LifecycleConfiguration config, String key) {
        return config.getRulesList().stream()
                .anyMatch(r -> r.getEnabled()
                        && r.getExpiredObjectDeleteMarker()
                        && key.startsWith(r.getPrefix())
                        && r.getTagsCount() == 0);
    }

    /** Whether any enabled rule acts on noncurrent versions or delete markers (a versioned bucket's). */
    public static boolean actsOnVersions(LifecycleConfiguration config) {
        return config.getRulesList().stream()
                .anyMatch(r -> r.getEnabled() && (r.getNoncurrentDays() > 0 || r.getExpiredObjectDeleteMarker()));
    }

    /** The time at which the unfinished {@code upload} is aborted, or empty when no enabled rule aborts it. */
    public static OptionalLong abortAt(LifecycleConfiguration config, UploadRecord upload, long dayMillis) {
        long best = Long.MAX_VALUE;
        for (LifecycleRule r : config.getRulesList()) {
            // an upload has no tags or size yet: S3 allows only a prefix with this action
            if (!r.getEnabled() || r.getAbortIncompleteUploadDays() == 0) continue;
            if (!upload.getKey().startsWith(r.getPrefix())) continue;
            best = Math.min(
                    best,
                    roundUp(upload.getInitiatedUnixMs() + r.getAbortIncompleteUploadDays() * dayMillis, dayMillis));
        }
        return best == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(best);
    }

    /** Whether the rule's filter takes an object: every condition it sets holds. */
    public static boolean matches(LifecycleRule r, String key, Map<String, String> tags, long size) {
        if (!key.startsWith(r.getPrefix())) return false;
        for (Map.Entry<String, String> t : r.getTagsMap().entrySet()) {
            if (!t.getValue().equals(tags.get(t.getKey()))) return false;
        }
        if (r.getSizeGreaterThan() > 0 && size <= r.getSizeGreaterThan()) return false;
        return r.getSizeLessThan() == 0 || size < r.getSizeLessThan();
    }

    /** Whether any enabled rule can end current objects or uploads. */
    public static boolean actsOnCurrentObjects(LifecycleConfiguration config) {
        return config.getRulesList().stream()
                .anyMatch(r -> r.getEnabled()
                        && (r.getExpirationDays() > 0
                                || r.getExpirationDateUnixMs() > 0
                                || r.getAbortIncompleteUploadDays() > 0));
    }

    private static long roundUp(long t, long dayMillis) {
        return Math.ceilDiv(t, dayMillis) * dayMillis;
    }
}
