package io.oauth4os;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The verified claims of an access token. Immutable. The registered claims have their JWT names
 * ({@link #iss()}, {@link #sub()}, {@link #exp()}, ...); {@link #extra()} holds the others.
 */
public final class Claims {
    private final Map<String, Object> map;

    Claims(Map<String, Object> map) {
        this.map = map;
    }

    /**
     * The issuer.
     *
     * @return {@code iss}
     */
    public String iss() {
        return Values.str(map, "iss");
    }

    /**
     * The subject.
     *
     * @return {@code sub}, if present
     */
    public Optional<String> sub() {
        return Values.optStr(map, "sub");
    }

    /**
     * The audiences.
     *
     * @return {@code aud}
     */
    public List<String> aud() {
        return Values.strings(map, "aud");
    }

    /**
     * The expiry, seconds since the epoch.
     *
     * @return {@code exp}
     */
    public long exp() {
        return Values.optLong(map, "exp").orElse(0);
    }

    /**
     * The expiry as an instant.
     *
     * @return {@code exp}
     */
    public Instant expiresAt() {
        return Instant.ofEpochSecond(exp());
    }

    /**
     * Not before, seconds since the epoch.
     *
     * @return {@code nbf}, if present
     */
    public OptionalLong nbf() {
        return Values.optLong(map, "nbf");
    }

    /**
     * Issued at, seconds since the epoch.
     *
     * @return {@code iat}, if present
     */
    public OptionalLong iat() {
        return Values.optLong(map, "iat");
    }

    /**
     * The token id.
     *
     * @return {@code jti}, if present
     */
    public Optional<String> jti() {
        return Values.optStr(map, "jti");
    }

    /**
     * The OAuth client the token was issued to.
     *
     * @return {@code client_id}, if present
     */
    public Optional<String> clientId() {
        return Values.optStr(map, "client_id");
    }

    /**
     * The scopes, space-separated.
     *
     * @return {@code scope}, if present
     */
    public Optional<String> scope() {
        return Values.optStr(map, "scope");
    }

    /**
     * The scopes, one per element.
     *
     * @return the scopes (empty when there are none)
     */
    public List<String> scopes() {
        return scope().filter(s -> !s.isBlank()).map(s -> List.of(s.trim().split(" +"))).orElse(List.of());
    }

    /**
     * The oauth4os tenant.
     *
     * @return {@code tenant}, if present
     */
    public Optional<String> tenant() {
        return Values.optStr(map, "tenant");
    }

    /**
     * Every other claim, by name (values as {@link Response#json()} describes).
     *
     * @return the extra claims
     */
    public Map<String, Object> extra() {
        return Values.map(map.get("extra"));
    }

    /**
     * All the claims as the core serialises them (the extra ones under {@code extra}).
     *
     * @return an unmodifiable map
     */
    public Map<String, Object> toMap() {
        return map;
    }

    /**
     * The claims as JSON, the form {@link OAuth4os#decide} takes.
     *
     * @return JSON text
     */
    public String toJson() {
        return Json.write(map);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Claims c && c.map.equals(map);
    }

    @Override
    public int hashCode() {
        return map.hashCode();
    }

    @Override
    public String toString() {
        return "Claims[iss=" + iss() + ", sub=" + sub().orElse(null) + ", client_id=" + clientId().orElse(null)
                + ", scope=" + scope().orElse(null) + ", exp=" + exp() + ", aud=" + Arrays.toString(aud().toArray()) + "]";
    }
}
