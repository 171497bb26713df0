package io.basalt.core.secrets;

import com.google.protobuf.ByteString;
import io.basalt.proto.meta.AccessKeyRecord;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/** Making access keys and opening their stored secrets. */
public final class AccessKeys {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String SECRET_CHARS = ID_CHARS + "abcdefghijklmnopqrstuvwxyz";

    /** A new key: its record, to store, and its secret, to show the operator once. */
    public record Issued(AccessKeyRecord record, String secret) {}

    private AccessKeys() {}

    /**
     * A new key, shaped like AWS's (a 20-character id, here starting {@code BK}, and a 40-character
     * secret, about 238 random bits), its secret sealed with {@code clusterKey}.
     */
    public static Issued issue(String name, ClusterKey clusterKey, long nowUnixMs) {
        String id = "BK" + random(ID_CHARS, 18);
        String secret = random(SECRET_CHARS, 40);
        ClusterKey.Sealed sealed = clusterKey.seal(id, secret);
        AccessKeyRecord record = AccessKeyRecord.newBuilder()
                .setAccessKeyId(id)
                .setName(name)
                .setSealedSecret(ByteString.copyFrom(sealed.ciphertext()))
                .setNonce(ByteString.copyFrom(sealed.nonce()))
                .setClusterKeyId(clusterKey.id())
                .setCreatedUnixMs(nowUnixMs)
                .build();
        return new Issued(record, secret);
    }

    /**
     * The key's secret.
     *
     * @throws GeneralSecurityException when {@code clusterKey} did not seal it, or the record was altered
     */
    public static String secretOf(AccessKeyRecord record, ClusterKey clusterKey) throws GeneralSecurityException {
        if (!record.getClusterKeyId().equals(clusterKey.id())) {
            throw new GeneralSecurityException(
                    "sealed with cluster key " + record.getClusterKeyId() + ", this gateway has " + clusterKey.id());
        }
        return clusterKey.open(
                record.getAccessKeyId(),
                new ClusterKey.Sealed(
                        record.getNonce().toByteArray(),
                        record.getSealedSecret().toByteArray()));
    }

    /** Whether {@code id} could be an access key id at all: what a request may name before any lookup. */
    public static boolean plausibleId(String id) {
        if (id.isEmpty() || id.length() > 128) return false;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'))
                return false;
        }
        return true;
    }

    private static String random(String alphabet, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return b.toString();
    }
}
