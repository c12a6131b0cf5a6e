package io.oauth4os;

/**
 * Error code {@code invalid_token}: the access token is malformed, expired, revoked or not for this audience (RFC 6750 §3.1).
 */
public final class InvalidTokenException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code invalid_token}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public InvalidTokenException(String reason, String message, String help, Long retryAfter, String scope) {
        super("invalid_token", reason, message, help, retryAfter, scope);
    }
}
