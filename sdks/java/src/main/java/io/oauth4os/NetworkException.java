package io.oauth4os;

/**
 * Error code {@code network}: the server could not be reached: connection, TLS or timeout.
 */
public final class NetworkException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code network}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public NetworkException(String reason, String message, String help, Long retryAfter, String scope) {
        super("network", reason, message, help, retryAfter, scope);
    }
}
