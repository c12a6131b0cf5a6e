package io.oauth4os;

/**
 * Error code {@code unsupported_grant_type}: the authorization server does not support this grant type (RFC 6749 §5.2).
 */
public final class UnsupportedGrantTypeException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code unsupported_grant_type}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public UnsupportedGrantTypeException(String reason, String message, String help, Long retryAfter, String scope) {
        super("unsupported_grant_type", reason, message, help, retryAfter, scope);
    }
}
