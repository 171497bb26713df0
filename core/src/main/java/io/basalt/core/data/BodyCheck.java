package io.basalt.core.data;

import java.io.IOException;

/**
 * The checks a request body carries (a signed SHA-256, chunk signatures, a checksum), run by
 * whoever reads the body rather than inside its stream. The encoder hashes each stripe on a
 * thread beside the one that reads and encodes it, so these passes cost no time on the write path.
 */
public interface BodyCheck {

    /** Takes the next bytes of the body, in order; may throw an unchecked S3-level error at once. */
    void update(byte[] b, int off, int len);

    /** Called once after the body's end was read and every byte was given to update; throws if a check fails. */
    void finish() throws IOException;

    BodyCheck NONE = new BodyCheck() {
        @Override
        public void update(byte[] b, int off, int len) {}

        @Override
        public void finish() {}
    };

    /** A body stream whose checks can be handed to its reader. */
    interface Deferrable {
        /**
         * From now on the stream checks nothing itself: the caller gives every byte it reads, in order,
         * to the returned check and calls its finish once the stream has ended. Only before the first read.
         */
        BodyCheck deferChecks();
    }

    /** The checks of {@code in} when it can hand them over, else none (it checks itself as it is read). */
    static BodyCheck deferFrom(java.io.InputStream in) {
        return in instanceof Deferrable d ? d.deferChecks() : NONE;
    }
}
