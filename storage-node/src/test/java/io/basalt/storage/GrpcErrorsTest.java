package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** A full disk is RESOURCE_EXHAUSTED (writers go elsewhere), not INTERNAL like a broken one. */
class GrpcErrorsTest {

    @Test
    void noSpaceLeftIsResourceExhausted() {
        assertEquals(
                Status.Code.RESOURCE_EXHAUSTED,
                GrpcErrors.toStatus("WriteShard", "s.0", new IOException("No space left on device"))
                        .getStatus()
                        .getCode());
        // as FileChannel.force or a wrapped write reports it
        assertEquals(
                Status.Code.RESOURCE_EXHAUSTED,
                GrpcErrors.toStatus(
                                "WriteShard",
                                "s.0",
                                new IOException("write failed", new IOException("No space left on device")))
                        .getStatus()
                        .getCode());
    }

    @Test
    void otherIoErrorsStayInternal() {
        assertEquals(
                Status.Code.INTERNAL,
                GrpcErrors.toStatus("WriteShard", "s.0", new IOException("Input/output error"))
                        .getStatus()
                        .getCode());
    }
}
