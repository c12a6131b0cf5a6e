package io.oauth4os;

/**
 * Error code {@code rate_limited}: too many requests; {@link OAuth4osException#retryAfter()} says when to try again.
 */
public final class RateLimitedException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code rate_limited}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public RateLimitedException(String reason, String message, String help, Long retryAfter, String scope) {
        super("rate_limited", reason, message, help, retryAfter, scope);
    }
}
