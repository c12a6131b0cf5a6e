package io.oauth4os;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A token endpoint's answer (RFC 6749 §5.1). Immutable; {@link #toString()} never shows a token.
 */
public final class TokenResponse {
    private final String accessToken;
    private final String tokenType;
    private final Long expiresIn;
    private final String scope;
    private final String refreshToken;
    private final String issuedTokenType;

    TokenResponse(Map<String, Object> m) {
        this.accessToken = Values.str(m, "access_token");
        this.tokenType = Values.str(m, "token_type");
        this.expiresIn = Values.optLong(m, "expires_in").isPresent() ? Values.optLong(m, "expires_in").getAsLong() : null;
        this.scope = Values.str(m, "scope");
        this.refreshToken = Values.str(m, "refresh_token");
        this.issuedTokenType = Values.str(m, "issued_token_type");
    }

    /**
     * The access token.
     *
     * @return the token
     */
    public String accessToken() {
        return accessToken;
    }

    /**
     * The token type, {@code Bearer}.
     *
     * @return the type
     */
    public String tokenType() {
        return tokenType;
    }

    /**
     * How long the token lived when it was issued, if the server said.
     *
     * @return the lifetime
     */
    public Optional<Duration> expiresIn() {
        return expiresIn == null ? Optional.empty() : Optional.of(Duration.ofSeconds(expiresIn));
    }

    /**
     * The scopes granted, space-separated, if the server said.
     *
     * @return the scopes
     */
    public Optional<String> scope() {
        return Optional.ofNullable(scope);
    }

    /**
     * A refresh token, if one was issued.
     *
     * @return the refresh token
     */
    public Optional<String> refreshToken() {
        return Optional.ofNullable(refreshToken);
    }

    /**
     * The issued token type of an RFC 8693 exchange.
     *
     * @return the type URI
     */
    public Optional<String> issuedTokenType() {
        return Optional.ofNullable(issuedTokenType);
    }

    /** The type, lifetime and scope; never the tokens. */
    @Override
    public String toString() {
        return "TokenResponse[tokenType=" + tokenType + ", expiresIn=" + expiresIn + ", scope=" + scope + "]";
    }
}
