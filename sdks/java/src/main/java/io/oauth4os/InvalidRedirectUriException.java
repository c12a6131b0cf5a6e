package io.oauth4os;

/**
 * Error code {@code invalid_redirect_uri}: a redirect URI is invalid (RFC 7591).
 */
public final class InvalidRedirectUriException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code invalid_redirect_uri}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public InvalidRedirectUriException(String reason, String message, String help, Long retryAfter, String scope) {
        super("invalid_redirect_uri", reason, message, help, retryAfter, scope);
    }
}
