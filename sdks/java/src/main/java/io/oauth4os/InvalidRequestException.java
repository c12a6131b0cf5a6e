package io.oauth4os;

/**
 * Error code {@code invalid_request}: the request is malformed: a missing or bad parameter (RFC 6749 §5.2).
 */
public final class InvalidRequestException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code invalid_request}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public InvalidRequestException(String reason, String message, String help, Long retryAfter, String scope) {
        super("invalid_request", reason, message, help, retryAfter, scope);
    }
}
