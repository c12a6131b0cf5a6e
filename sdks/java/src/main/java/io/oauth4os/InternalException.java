package io.oauth4os;

/**
 * Error code {@code internal}: a bug in oauth4os (including a caught native panic); please report it.
 */
public final class InternalException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code internal}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public InternalException(String reason, String message, String help, Long retryAfter, String scope) {
        super("internal", reason, message, help, retryAfter, scope);
    }
}
