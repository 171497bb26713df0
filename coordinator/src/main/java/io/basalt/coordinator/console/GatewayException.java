package io.basalt.coordinator.console;

/** The gateway refused or failed an S3 request: its HTTP status and S3 error code, passed on to the page. */
final class GatewayException extends RuntimeException {

    private final int status;
    private final String code;

    GatewayException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }
}
