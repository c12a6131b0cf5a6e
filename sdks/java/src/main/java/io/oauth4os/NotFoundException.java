package io.oauth4os;

/**
 * Error code {@code not_found}: what was asked for does not exist.
 */
public final class NotFoundException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code not_found}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public NotFoundException(String reason, String message, String help, Long retryAfter, String scope) {
        super("not_found", reason, message, help, retryAfter, scope);
    }
}
