package io.oauth4os;

import java.time.Duration;
import java.util.Optional;

/**
 * Every error of oauth4os, as data: a stable {@link #code() code} (the OAuth error codes of
 * RFC 6749 §5.2 and RFC 6750 §3.1 plus {@code network}, {@code upstream}, {@code config},
 * {@code internal} and a few more), a finer {@link #reason() reason} ({@code revoked},
 * {@code expired}, ...), a {@link #help() help} text and, when the server asked for it, a
 * {@link #retryAfter() delay} before retrying.
 *
 * <p>Each code has its own subclass ({@link InvalidTokenException}, {@link NetworkException},
 * ...), so callers catch what they handle differently. Messages never hold a token, a secret or
 * an {@code Authorization} header.
 */
public class OAuth4osException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The error code in wire form. */
    private final String code;
    /** The reason in wire form. */
    private final String reason;
    /** What to do about it, or {@code null}. */
    private final String help;
    /** Seconds to wait before retrying, or {@code null}. */
    private final Long retryAfter;
    /** The scope that would have been needed, or {@code null}. */
    private final String scope;

    /**
     * An error with every field.
     *
     * @param code the error code in wire form ({@code invalid_token})
     * @param reason the finer reason in wire form ({@code expired})
     * @param message what happened
     * @param help what to do about it, or {@code null}
     * @param retryAfter seconds to wait before retrying, or {@code null}
     * @param scope the scope that would have been needed, or {@code null}
     */
    protected OAuth4osException(
            String code, String reason, String message, String help, Long retryAfter, String scope) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.help = help;
        this.retryAfter = retryAfter;
        this.scope = scope;
    }

    /**
     * The error code in wire form, e.g. {@code invalid_token}; one of {@link OAuth4os#errorCodes()}.
     *
     * @return the code
     */
    public String code() {
        return code;
    }

    /**
     * The finer reason in wire form, e.g. {@code revoked}; one of {@link OAuth4os#errorReasons()}.
     *
     * @return the reason
     */
    public String reason() {
        return reason;
    }

    /**
     * What to do about it, when the core knows.
     *
     * @return the help text, if any
     */
    public Optional<String> help() {
        return Optional.ofNullable(help);
    }

    /**
     * How long to wait before retrying, when the server said ({@code Retry-After}).
     *
     * @return the delay, if any
     */
    public Optional<Duration> retryAfter() {
        return retryAfter == null ? Optional.empty() : Optional.of(Duration.ofSeconds(retryAfter));
    }

    /**
     * The scope that would have allowed the request, on {@code insufficient_scope}.
     *
     * @return the scope, if any
     */
    public Optional<String> scope() {
        return Optional.ofNullable(scope);
    }

    /**
     * The exception of the class of {@code code}; a code this version does not know gives the base
     * class. Called by the native library (and by the records that carry errors as data).
     */
    static OAuth4osException fromNative(
            String code, String reason, String message, String help, long retryAfter, String scope) {
        return of(code, reason, message, help, retryAfter < 0 ? null : retryAfter, scope);
    }

    static OAuth4osException of(
            String code, String reason, String message, String help, Long retryAfter, String scope) {
        return switch (code) {
            case "invalid_request" -> new InvalidRequestException(reason, message, help, retryAfter, scope);
            case "invalid_client" -> new InvalidClientException(reason, message, help, retryAfter, scope);
            case "invalid_grant" -> new InvalidGrantException(reason, message, help, retryAfter, scope);
            case "unauthorized_client" -> new UnauthorizedClientException(reason, message, help, retryAfter, scope);
            case "unsupported_grant_type" -> new UnsupportedGrantTypeException(reason, message, help, retryAfter, scope);
            case "invalid_scope" -> new InvalidScopeException(reason, message, help, retryAfter, scope);
            case "invalid_token" -> new InvalidTokenException(reason, message, help, retryAfter, scope);
            case "insufficient_scope" -> new InsufficientScopeException(reason, message, help, retryAfter, scope);
            case "access_denied" -> new AccessDeniedException(reason, message, help, retryAfter, scope);
            case "invalid_target" -> new InvalidTargetException(reason, message, help, retryAfter, scope);
            case "unsupported_token_type" -> new UnsupportedTokenTypeException(reason, message, help, retryAfter, scope);
            case "invalid_client_metadata" -> new InvalidClientMetadataException(reason, message, help, retryAfter, scope);
            case "invalid_redirect_uri" -> new InvalidRedirectUriException(reason, message, help, retryAfter, scope);
            case "unsupported_response_type" -> new UnsupportedResponseTypeException(reason, message, help, retryAfter, scope);
            case "server_error" -> new ServerErrorException(reason, message, help, retryAfter, scope);
            case "temporarily_unavailable" -> new TemporarilyUnavailableException(reason, message, help, retryAfter, scope);
            case "rate_limited" -> new RateLimitedException(reason, message, help, retryAfter, scope);
            case "not_found" -> new NotFoundException(reason, message, help, retryAfter, scope);
            case "conflict" -> new ConflictException(reason, message, help, retryAfter, scope);
            case "network" -> new NetworkException(reason, message, help, retryAfter, scope);
            case "upstream" -> new UpstreamException(reason, message, help, retryAfter, scope);
            case "config" -> new ConfigException(reason, message, help, retryAfter, scope);
            case "internal" -> new InternalException(reason, message, help, retryAfter, scope);
            default -> new OAuth4osException(code, reason, message, help, retryAfter, scope);
        };
    }
}
