package io.basalt.gateway.handlers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BoundedPipeTest {

    @Test
    void carriesEveryByteInOrder() throws Exception {
        byte[] data = new byte[1_000_003];
        new Random(1).nextBytes(data);
        BoundedPipe pipe = new BoundedPipe(4096, 2);
        Thread producer = Thread.ofPlatform().start(() -> {
            try (OutputStream out = pipe.sink()) {
                for (int off = 0; off < data.length; off += 777) out.write(data, off, Math.min(777, data.length - off));
            } catch (IOException e) {
                pipe.fail(e);
            }
        });
        byte[] got;
        try (InputStream in = pipe.source()) {
            got = in.readAllBytes();
        }
        producer.join();
        assertArrayEquals(data, got);
    }

    @Test
    void aProducerFailureIsAnErrorNeverACleanEnd() throws Exception {
        BoundedPipe pipe = new BoundedPipe(16, 2);
        Thread producer = Thread.ofPlatform().start(() -> {
            try {
                pipe.sink().write(new byte[40]);
                throw new IllegalStateException("shard unreadable");
            } catch (Exception e) {
                pipe.fail(e);
            }
        });
        InputStream in = pipe.source();
        IOException e = assertThrows(IOException.class, in::readAllBytes);
        assertTrue(e.getMessage().contains("shard unreadable"), e.getMessage());
        assertThrows(IOException.class, in::read, "the error sticks");
        producer.join();
    }

    @Test
    void aReaderThatGivesUpUnblocksTheProducer() throws Exception {
        BoundedPipe pipe = new BoundedPipe(16, 1);
        IOException[] seen = new IOException[1];
        Thread producer = Thread.ofPlatform().start(() -> {
            try {
                OutputStream out = pipe.sink();
                for (int i = 0; i < 1000; i++) out.write(new byte[16]);
            } catch (IOException e) {
                seen[0] = e;
            }
        });
        pipe.source().close();
        producer.join(5000);
        assertTrue(seen[0] != null && !producer.isAlive());
    }
}
