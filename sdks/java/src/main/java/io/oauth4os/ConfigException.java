package io.oauth4os;

/**
 * Error code {@code config}: a configuration is invalid; the message names the field, never its value.
 */
public final class ConfigException extends OAuth4osException {
    private static final long serialVersionUID = 1L;

    /**
     * An error of code {@code config}.
     *
     * @param reason the finer reason in wire form
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    public ConfigException(String reason, String message, String help, Long retryAfter, String scope) {
        super("config", reason, message, help, retryAfter, scope);
    }
}
