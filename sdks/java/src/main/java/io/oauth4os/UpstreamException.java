package io.oauth4os;

/**
 * Error code {@code upstream}: a server answered with something unexpected.
 */
public final class UpstreamException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code upstream}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public UpstreamException(String reason, String message, String help, Long retryAfter, String scope) {
        super("upstream", reason, message, help, retryAfter, scope);
    }
}
