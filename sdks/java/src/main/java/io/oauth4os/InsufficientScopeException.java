package io.oauth4os;

/**
 * Error code {@code insufficient_scope}: the token is valid but its scopes do not allow the request (RFC 6750 §3.1).
 */
public final class InsufficientScopeException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code insufficient_scope}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public InsufficientScopeException(String reason, String message, String help, Long retryAfter, String scope) {
        super("insufficient_scope", reason, message, help, retryAfter, scope);
    }
}
