package io.basalt.coordinator.console;

/** An access key and its secret, as a signed-in session holds them; never printed with the secret. */
record ConsoleKey(String accessKey, String secretKey) {
    @Override
    public String toString() {
        return "ConsoleKey[" + accessKey + "]";
    }
}
