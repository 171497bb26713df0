package io.basalt.core.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.basalt.proto.meta.AccessKeyRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterKeyTest {

    private static final ClusterKey KEY = ClusterKey.of(bytes(1));

    private static byte[] bytes(int fill) {
        byte[] b = new byte[32];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    @Property(tries = 200)
    void aSealedSecretOpensForItsIdOnly(
            @ForAll @StringLength(min = 1, max = 64) String secret, @ForAll("ids") String id) throws Exception {
        ClusterKey.Sealed sealed = KEY.seal(id, secret);
        assertEquals(secret, KEY.open(id, sealed));
        assertEquals(secret.getBytes(StandardCharsets.UTF_8).length + 16, sealed.ciphertext().length, "and its tag");
        assertThrows(GeneralSecurityException.class, () -> KEY.open(id + "X", sealed), "another key id");
        assertThrows(
                GeneralSecurityException.class, () -> ClusterKey.of(bytes(2)).open(id, sealed), "another key");
        byte[] flipped = sealed.ciphertext().clone();
        flipped[0] ^= 1;
        assertThrows(
                GeneralSecurityException.class,
                () -> KEY.open(id, new ClusterKey.Sealed(sealed.nonce(), flipped)),
                "altered ciphertext");
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> ids() {
        return net.jqwik.api.Arbitraries.strings()
                .alpha()
                .numeric()
                .ofMinLength(1)
                .ofMaxLength(24);
    }

    @Test
    void theSameSecretSealsDifferentlyEachTime() {
        assertFalse(Arrays.equals(
                KEY.seal("A", "s").ciphertext(), KEY.seal("A", "s").ciphertext()));
    }

    @Test
    void aKeyFileIsMadeOnceWithOwnerOnlyModeAndLoadsAsTheSameKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub/cluster.key");
        ClusterKey made = ClusterKey.create(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        ClusterKey loaded = ClusterKey.load(file);
        assertEquals(made.id(), loaded.id());
        assertEquals("s3cret", loaded.open("ID", made.seal("ID", "s3cret")));
        assertThrows(FileAlreadyExistsException.class, () -> ClusterKey.create(file), "never overwritten");
        assertFalse(made.toString().contains(Files.readString(file).strip()), "toString never shows the key");
    }

    @Test
    void malformedKeyFilesAreRefusedByName(@TempDir Path dir) throws Exception {
        Path notBase64 = Files.writeString(dir.resolve("a"), "not base64 !!");
        Path short16 = Files.writeString(
                dir.resolve("b"), java.util.Base64.getEncoder().encodeToString(new byte[16]));
        IOException e = assertThrows(IOException.class, () -> ClusterKey.load(notBase64));
        assertTrue(e.getMessage().contains(notBase64.toString()));
        e = assertThrows(IOException.class, () -> ClusterKey.load(short16));
        assertTrue(e.getMessage().contains("32 bytes"), e.getMessage());
    }

    @Test
    void issuedKeysLookLikeAwsKeysAndOpenOnlyWithTheirClusterKey() throws Exception {
        AccessKeys.Issued a = AccessKeys.issue("n", KEY, 1);
        AccessKeys.Issued b = AccessKeys.issue("n", KEY, 1);
        assertNotEquals(a.record().getAccessKeyId(), b.record().getAccessKeyId());
        assertTrue(a.record().getAccessKeyId().matches("BK[A-Z0-9]{18}"));
        assertTrue(a.secret().matches("[A-Za-z0-9]{40}"));
        assertEquals(a.secret(), AccessKeys.secretOf(a.record(), KEY));
        GeneralSecurityException e = assertThrows(
                GeneralSecurityException.class, () -> AccessKeys.secretOf(a.record(), ClusterKey.of(bytes(3))));
        assertTrue(e.getMessage().contains(KEY.id()), "names the key that sealed it: " + e.getMessage());
        // a sealed secret moved onto another key's record does not open there
        AccessKeyRecord swapped = b.record().toBuilder()
                .setSealedSecret(a.record().getSealedSecret())
                .setNonce(a.record().getNonce())
                .build();
        assertThrows(GeneralSecurityException.class, () -> AccessKeys.secretOf(swapped, KEY));
        AccessKeyRecord tampered = a.record().toBuilder()
                .setNonce(ByteString.copyFrom(new byte[12]))
                .build();
        assertThrows(GeneralSecurityException.class, () -> AccessKeys.secretOf(tampered, KEY));
    }
}
