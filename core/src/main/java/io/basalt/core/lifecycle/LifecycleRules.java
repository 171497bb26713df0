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

    /** Whether any enabled rule can end objects or uploads of an unversioned bucket. */
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
