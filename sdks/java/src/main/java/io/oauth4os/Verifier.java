package io.oauth4os;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Verifies one issuer's access tokens (JWS RS256, PS256, ES256, EdDSA; algorithm pinned per key;
 * issuer, audience, expiry, {@code typ} checked) and caches what it verified, so a token seen
 * before costs a lookup. Keys come from the issuer's discovery document, a JWKS URL, or a fixed
 * JWKS document.
 *
 * <p>Thread-safe: share one instance. {@link #close()} frees the native state (also done when an
 * unclosed verifier becomes unreachable); any call after it throws {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (Verifier verifier = Verifier.builder()
 *         .issuer("http://localhost:8443")
 *         .audience("http://localhost:8443")
 *         .build()) {
 *     Claims claims = verifier.verify(token);
 * }
 * }</pre>
 */
public final class Verifier implements AutoCloseable {
    private final Handle handle;
    private final boolean fixedKeys;

    /**
     * A verifier that discovers the issuer's JWKS (RFC 8414 / OpenID discovery), or fetches
     * {@code jwks_uri} when the configuration gives one, from the JSON verifier configuration
     * ({@code issuer}, {@code audiences}, {@code algorithms}, {@code leeway}, {@code required_typ},
     * {@code jwks_uri}, {@code cache_capacity}); see {@link #builder()} for the typed form.
     *
     * @param configJson the configuration
     * @throws ConfigException naming a bad field
     */
    public Verifier(String configJson) {
        this(Native.verifierNew(configJson), false);
    }

    private Verifier(long h, boolean fixedKeys) {
        this.handle = new Handle(this, "Verifier", h, Native::verifierFree);
        this.fixedKeys = fixedKeys;
    }

    /**
     * A verifier over the keys of a JWKS document; it never does I/O.
     *
     * @param jwksJson the JWKS document ({@code {"keys": [...]}})
     * @param configJson the configuration, as for {@link #Verifier(String)} without {@code jwks_uri}
     * @return the verifier
     * @throws ConfigException on a bad key or configuration
     */
    public static Verifier fromJwks(String jwksJson, String configJson) {
        return new Verifier(Native.verifierFromJwks(jwksJson, configJson), true);
    }

    /**
     * A builder of the configuration.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private static long at(Long now) {
        return now == null ? -1 : Math.max(0, now);
    }

    /**
     * The verified claims of {@code token} as of {@code now}, fetching keys when needed.
     *
     * @param token the access token
     * @param now seconds since the epoch, or {@code null} for the clock
     * @return the claims
     * @throws InvalidTokenException with the reason ({@code expired}, {@code bad_signature}, ...)
     * @throws NetworkException when the keys cannot be fetched
     */
    public Claims verify(String token, Long now) {
        long h = handle.get();
        String json = fixedKeys ? Native.verifierVerifySync(h, token, at(now)) : Native.verifierVerify(h, token, at(now));
        return new Claims(Json.object(json));
    }

    /**
     * {@link #verify(String, Long)} as of now.
     *
     * @param token the access token
     * @return the claims
     * @throws InvalidTokenException with the reason
     */
    public Claims verify(String token) {
        return verify(token, null);
    }

    /**
     * {@link #verify(String, Long)} without blocking the caller.
     *
     * @param token the access token
     * @param now seconds since the epoch, or {@code null}
     * @return the claims
     */
    public CompletableFuture<Claims> verifyAsync(String token, Long now) {
        return Async.run(() -> verify(token, now));
    }

    /**
     * {@link #verify(String, Long)} without waiting, for verifiers over fixed keys
     * ({@link #fromJwks}).
     *
     * @param token the access token
     * @param now seconds since the epoch, or {@code null}
     * @return the claims
     * @throws InvalidTokenException with the reason
     * @throws ConfigException ({@code needs_fixed_keys}) on a verifier that fetches keys
     */
    public Claims verifySync(String token, Long now) {
        return new Claims(Json.object(Native.verifierVerifySync(handle.get(), token, at(now))));
    }

    /**
     * The claims of an already verified, still valid token from the cache, without signature work.
     *
     * @param token the access token
     * @param now seconds since the epoch, or {@code null}
     * @return the claims, or empty when the token is not in the cache
     */
    public Optional<Claims> cached(String token, Long now) {
        String json = Native.verifierCached(handle.get(), token, at(now));
        return json == null ? Optional.empty() : Optional.of(new Claims(Json.object(json)));
    }

    /**
     * Forgets cached verifications of tokens with this {@code jti} (call it on revocation).
     *
     * @param jti the token id
     */
    public void revokeJti(String jti) {
        Native.verifierRevokeJti(handle.get(), jti);
    }

    /**
     * Fetches the issuer's keys now, to fail early at start-up (nothing for fixed keys).
     *
     * @throws NetworkException when they cannot be fetched
     */
    public void prefetchKeys() {
        Native.verifierPrefetchKeys(handle.get());
    }

    /**
     * {@link #prefetchKeys()} without blocking the caller.
     *
     * @return completes when the keys are there
     */
    public CompletableFuture<Void> prefetchKeysAsync() {
        return Async.run(() -> {
            prefetchKeys();
            return null;
        });
    }

    /** Frees the native verifier and its cache; later calls throw {@link IllegalStateException}. Idempotent. */
    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return handle.closed() ? "Verifier[closed]" : "Verifier";
    }

    /** The configuration of a {@link Verifier}, field by field. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Object> config = new LinkedHashMap<>();
        private final List<String> audiences = new ArrayList<>();
        private final List<String> algorithms = new ArrayList<>();

        private Builder() {}

        /**
         * The issuer (the {@code iss} every token must carry); its keys are discovered from it
         * unless {@link #jwksUri(String)} is given.
         *
         * @param issuer the issuer URL
         * @return this builder
         */
        public Builder issuer(String issuer) {
            config.put("issuer", issuer);
            return this;
        }

        /**
         * Where to fetch the keys, instead of discovering it.
         *
         * @param url the JWKS URL
         * @return this builder
         */
        public Builder jwksUri(String url) {
            config.put("jwks_uri", url);
            return this;
        }

        /**
         * An accepted audience (at least one).
         *
         * @param audience e.g. the proxy's URL
         * @return this builder
         */
        public Builder audience(String audience) {
            audiences.add(audience);
            return this;
        }

        /**
         * Accepted audiences.
         *
         * @param audiences the audiences
         * @return this builder
         */
        public Builder audiences(List<String> audiences) {
            this.audiences.addAll(audiences);
            return this;
        }

        /**
         * The accepted algorithms (default: RS256, PS256, ES256, EdDSA).
         *
         * @param algorithms e.g. {@code ES256}
         * @return this builder
         */
        public Builder algorithms(String... algorithms) {
            this.algorithms.addAll(List.of(algorithms));
            return this;
        }

        /**
         * The clock skew tolerated on {@code exp} and {@code nbf} (default: 60 s).
         *
         * @param leeway the tolerance
         * @return this builder
         */
        public Builder leeway(Duration leeway) {
            config.put("leeway", leeway.getSeconds());
            return this;
        }

        /**
         * The JOSE {@code typ} every token must have, e.g. {@code at+jwt} (RFC 9068).
         *
         * @param typ the type
         * @return this builder
         */
        public Builder requiredTyp(String typ) {
            config.put("required_typ", typ);
            return this;
        }

        /**
         * How many verified tokens the cache keeps.
         *
         * @param capacity the capacity (0 turns the cache off)
         * @return this builder
         */
        public Builder cacheCapacity(int capacity) {
            config.put("cache_capacity", capacity);
            return this;
        }

        /**
         * The configuration as the core's JSON.
         *
         * @return JSON text
         */
        public String toJson() {
            Map<String, Object> c = new LinkedHashMap<>(config);
            c.put("audiences", List.copyOf(audiences));
            if (!algorithms.isEmpty()) {
                c.put("algorithms", List.copyOf(algorithms));
            }
            return Json.write(c);
        }

        /**
         * The verifier over the issuer's discovered (or {@code jwksUri}) keys.
         *
         * @return a new verifier
         * @throws ConfigException naming a bad field
         */
        public Verifier build() {
            return new Verifier(toJson());
        }

        /**
         * The verifier over a fixed JWKS document; it never does I/O.
         *
         * @param jwksJson the JWKS document
         * @return a new verifier
         * @throws ConfigException on a bad key or field
         */
        public Verifier buildFromJwks(String jwksJson) {
            return Verifier.fromJwks(jwksJson, toJson());
        }
    }
}
