package io.oauth4os;

/**
 * Error code {@code access_denied}: a policy denied the request.
 */
public final class AccessDeniedException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code access_denied}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public AccessDeniedException(String reason, String message, String help, Long retryAfter, String scope) {
        super("access_denied", reason, message, help, retryAfter, scope);
    }
}
