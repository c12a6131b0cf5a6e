package io.oauth4os;

/**
 * Error code {@code invalid_scope}: a scope is malformed, unknown or beyond what the client may hold (RFC 6749 §5.2).
 */
public final class InvalidScopeException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code invalid_scope}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public InvalidScopeException(String reason, String message, String help, Long retryAfter, String scope) {
        super("invalid_scope", reason, message, help, retryAfter, scope);
    }
}
