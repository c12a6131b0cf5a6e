package io.oauth4os;

/**
 * Error code {@code unsupported_token_type}: the token type is not supported (RFC 7009, RFC 8693).
 */
public final class UnsupportedTokenTypeException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code unsupported_token_type}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public UnsupportedTokenTypeException(String reason, String message, String help, Long retryAfter, String scope) {
        super("unsupported_token_type", reason, message, help, retryAfter, scope);
    }
}
