package io.basalt.core.meta;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;

/**
 * The record-format rule of meta.proto (see its head): every record stored in etcd has {@code uint32 format =
 * 15}, where 0 (absent) means 1. A record of a format above {@link #CURRENT} was written under rules this
 * release does not know; reading it as if it knew them could misread it, so it is refused as metadata
 * unavailable, and nothing is rewritten or deleted on its account.
 */
public final class RecordFormat {

    /** The newest record format this release reads (and the only one it writes, as 0). */
    public static final int CURRENT = 1;

    static final int FIELD = 15;

    private RecordFormat() {}

    /** The record's format: its {@code format} field, 1 when absent or when the message has none. */
    public static int of(Message record) {
        FieldDescriptor f = record.getDescriptorForType().findFieldByNumber(FIELD);
        if (f == null || !f.getName().equals("format")) return 1;
        int format = (Integer) record.getField(f);
        return format == 0 ? 1 : format;
    }

    /** {@code record} when this release can read it; else refuses it, naming where it was read. */
    public static <T> T check(T record, Object where) {
        if (record instanceof Message m) {
            int format = of(m);
            if (format > CURRENT) {
                throw new MetadataUnavailableException(
                        m.getDescriptorForType().getName() + " at "
                                + (where instanceof ByteSequence key ? key.toString(StandardCharsets.UTF_8) : where)
                                + " has record format " + format
                                + "; this release reads formats up to " + CURRENT
                                + ": it was written by a newer release, so upgrade this process",
                        null);
            }
        }
        return record;
    }
}
