package io.basalt.storage;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The one place that turns storage failures into gRPC statuses. */
final class GrpcErrors {
    private static final Logger log = LogManager.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    static StatusRuntimeException toStatus(String operation, String shardId, Throwable error) {
        if (error instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (error instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT.withDescription(error.getMessage()).asRuntimeException();
        }
        if (error instanceof DataDirFailedException || error instanceof DataDirSuspectException) {
            log.warn("{} {}: {}", operation, shardId, error.getMessage());
            return Status.UNAVAILABLE.withDescription(error.getMessage()).asRuntimeException();
        }
        if (error instanceof NoSuchFileException) {
            return Status.NOT_FOUND
                    .withDescription("shard " + shardId + " not found")
                    .asRuntimeException();
        }
        if (error instanceof CorruptShardException) {
            log.error("{} {}: {}", operation, shardId, error.getMessage());
            return Status.DATA_LOSS.withDescription(error.getMessage()).asRuntimeException();
        }
        if (error instanceof IOException && DataDir.noSpace(error)) {
            // a full disk is not a broken node: the writer counts one shard failed (a quorum covers it), reads go on
            log.warn("{} {}: no space left: {}", operation, shardId, error.getMessage());
            return Status.RESOURCE_EXHAUSTED
                    .withDescription(operation + " " + shardId + ": no space left on the data dir")
                    .asRuntimeException();
        }
        if (error instanceof IOException) {
            log.error("{} {} failed", operation, shardId, error);
            return Status.INTERNAL
                    .withDescription(operation + " " + shardId + " failed: " + error)
                    .asRuntimeException();
        }
        log.error("{} {} failed unexpectedly", operation, shardId, error);
        return Status.INTERNAL
                .withDescription(operation + " " + shardId + " failed")
                .asRuntimeException();
    }
}
