package io.oauth4os;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A token client for one OAuth client (or one fixed access token): acquires tokens
 * ({@code client_credentials}), caches them and renews them before they expire, with one token
 * request for any number of concurrent callers; revokes them; calls the proxy with them.
 *
 * <p>Thread-safe: share one instance. {@link #close()} frees the native state (also done when an
 * unclosed client becomes unreachable); any call after it throws {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (Client client = Client.builder()
 *         .issuer("http://localhost:8443")
 *         .clientId("my-agent").clientSecret("secret")
 *         .scope("read:logs-*")
 *         .build()) {
 *     String header = client.authorizationHeader(); // "Bearer eyJ..."
 * }
 * }</pre>
 */
public final class Client implements AutoCloseable {
    private final Handle handle;

    /**
     * A client from the JSON client configuration ({@code token_endpoint} or {@code issuer},
     * {@code revocation_endpoint}, {@code client_id}, {@code client_secret}, {@code scope},
     * {@code resource}, {@code auth}, {@code base_url}, {@code access_token}); see
     * {@link #builder()} for the typed form.
     *
     * @param configJson the configuration
     * @throws ConfigException naming a bad field (never its value)
     */
    public Client(String configJson) {
        long h = Native.clientNew(configJson);
        this.handle = new Handle(this, "Client", h, Native::clientFree);
    }

    /**
     * A builder of the configuration.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A valid token: the cached one, or one acquired (or renewed, before expiry) once for every
     * concurrent caller.
     *
     * @return the token
     * @throws InvalidClientException when the server refuses the client's credentials
     * @throws NetworkException when the server cannot be reached
     */
    public TokenResponse token() {
        return new TokenResponse(Json.object(Native.clientToken(handle.get())));
    }

    /**
     * {@link #token()} without blocking the caller.
     *
     * @return the token, or the {@link OAuth4osException} as the failure
     */
    public CompletableFuture<TokenResponse> tokenAsync() {
        return Async.run(this::token);
    }

    /**
     * The access token string of {@link #token()}.
     *
     * @return the access token
     * @throws OAuth4osException as {@link #token()}
     */
    public String accessToken() {
        return Native.clientAccessToken(handle.get());
    }

    /**
     * {@link #accessToken()} without blocking the caller.
     *
     * @return the access token
     */
    public CompletableFuture<String> accessTokenAsync() {
        return Async.run(this::accessToken);
    }

    /**
     * The {@code Authorization} header value for a request now: {@code Bearer <token>}, renewed
     * as {@link #token()} renews it. Call it per request (e.g. from an HTTP client interceptor).
     *
     * @return the header value
     * @throws OAuth4osException as {@link #token()}
     */
    public String authorizationHeader() {
        return "Bearer " + accessToken();
    }

    /**
     * A new token unless the cached one was already replaced since {@code stale} was handed out
     * (e.g. after a 401 with {@code stale}).
     *
     * @param stale the access token found wanting, or {@code null} to renew unconditionally
     * @return the new token
     * @throws OAuth4osException as {@link #token()}
     */
    public TokenResponse refresh(String stale) {
        return new TokenResponse(Json.object(Native.clientRefresh(handle.get(), stale)));
    }

    /**
     * {@link #refresh(String)} unconditionally.
     *
     * @return the new token
     * @throws OAuth4osException as {@link #token()}
     */
    public TokenResponse refresh() {
        return refresh(null);
    }

    /**
     * {@link #refresh(String)} without blocking the caller.
     *
     * @param stale the access token found wanting, or {@code null}
     * @return the new token
     */
    public CompletableFuture<TokenResponse> refreshAsync(String stale) {
        return Async.run(() -> refresh(stale));
    }

    /** Forgets the cached token; the next {@link #token()} acquires a new one. */
    public void invalidate() {
        Native.clientInvalidate(handle.get());
    }

    /**
     * RFC 7009: revokes {@code token}, or this client's current tokens when {@code null}.
     *
     * @param token the token to revoke, or {@code null}
     * @throws InvalidClientException when the server refuses the client's credentials
     * @throws ConfigException when there is no revocation endpoint
     */
    public void revoke(String token) {
        Native.clientRevoke(handle.get(), token);
    }

    /**
     * Revokes this client's current tokens ({@link #revoke(String)} with {@code null}).
     *
     * @throws OAuth4osException as {@link #revoke(String)}
     */
    public void revoke() {
        revoke(null);
    }

    /**
     * {@link #revoke(String)} without blocking the caller.
     *
     * @param token the token to revoke, or {@code null}
     * @return completes when revoked
     */
    public CompletableFuture<Void> revokeAsync(String token) {
        return Async.run(() -> {
            revoke(token);
            return null;
        });
    }

    /**
     * RFC 8693: trades {@code subjectToken} for a token of this client (not cached).
     *
     * @param subjectToken the token to exchange
     * @param subjectTokenType its type URI, or {@code null} for an access token
     * @param scope the scopes wanted, or {@code null}
     * @param resource the resource (RFC 8707), or {@code null}
     * @return the issued token
     * @throws InvalidGrantException when the subject token is not acceptable
     */
    public TokenResponse exchange(String subjectToken, String subjectTokenType, String scope, String resource) {
        return new TokenResponse(Json.object(
                Native.clientExchange(handle.get(), subjectToken, subjectTokenType, scope, resource)));
    }

    /**
     * {@link #exchange} without blocking the caller.
     *
     * @param subjectToken the token to exchange
     * @param subjectTokenType its type URI, or {@code null}
     * @param scope the scopes wanted, or {@code null}
     * @param resource the resource, or {@code null}
     * @return the issued token
     */
    public CompletableFuture<TokenResponse> exchangeAsync(
            String subjectToken, String subjectTokenType, String scope, String resource) {
        return Async.run(() -> exchange(subjectToken, subjectTokenType, scope, resource));
    }

    /**
     * Sends {@code method path} to the proxy ({@code base_url}) with the bearer token; after a
     * 401 it renews the token once and retries. Any status is returned, not thrown.
     *
     * @param method the HTTP method
     * @param path the path and query, e.g. {@code /logs-*}{@code /_search}
     * @param body the body (sent as JSON), or {@code null}
     * @return the answer
     * @throws ConfigException when the client has no {@code base_url}
     * @throws NetworkException when the proxy cannot be reached
     */
    public Response request(String method, String path, byte[] body) {
        Object[] r = Native.clientRequest(handle.get(), method, path, body);
        return new Response((String) r[0], (byte[]) r[1]);
    }

    /**
     * {@link #request(String, String, byte[])} without a body.
     *
     * @param method the HTTP method
     * @param path the path and query
     * @return the answer
     * @throws OAuth4osException as {@link #request(String, String, byte[])}
     */
    public Response request(String method, String path) {
        return request(method, path, null);
    }

    /**
     * {@link #request(String, String, byte[])} without blocking the caller.
     *
     * @param method the HTTP method
     * @param path the path and query
     * @param body the body, or {@code null}
     * @return the answer
     */
    public CompletableFuture<Response> requestAsync(String method, String path, byte[] body) {
        return Async.run(() -> request(method, path, body));
    }

    /**
     * {@code POST /<index>/_search} with the JSON {@code query}: the parsed answer.
     *
     * @param index an index name or pattern
     * @param queryJson the search body as JSON
     * @return the answer
     * @throws InsufficientScopeException when the token's scopes do not allow the search
     * @throws InvalidRequestException when the query is not JSON
     */
    public Map<String, Object> search(String index, String queryJson) {
        return Json.object(Native.clientSearch(handle.get(), index, queryJson));
    }

    /**
     * {@link #search(String, String)} without blocking the caller.
     *
     * @param index an index name or pattern
     * @param queryJson the search body as JSON
     * @return the answer
     */
    public CompletableFuture<Map<String, Object>> searchAsync(String index, String queryJson) {
        return Async.run(() -> search(index, queryJson));
    }

    /**
     * Counters: token requests sent.
     *
     * @return the counters
     */
    public ClientStats stats() {
        return new ClientStats(Native.clientStats(handle.get()));
    }

    /** Frees the native client; later calls throw {@link IllegalStateException}. Idempotent. */
    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return handle.closed() ? "Client[closed]" : "Client";
    }

    /** How the client authenticates to the token endpoint. */
    public enum Auth {
        /** HTTP Basic ({@code client_secret_basic}), the default. */
        BASIC,
        /** Form parameters ({@code client_secret_post}). */
        POST
    }

    /** The configuration of a {@link Client}, field by field. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Object> config = new LinkedHashMap<>();

        private Builder() {}

        private Builder set(String key, Object value) {
            if (value == null) {
                config.remove(key);
            } else {
                config.put(key, value);
            }
            return this;
        }

        /**
         * The issuer whose metadata (RFC 8414) names the token and revocation endpoints.
         *
         * @param issuer e.g. {@code http://localhost:8443}
         * @return this builder
         */
        public Builder issuer(String issuer) {
            return set("issuer", issuer);
        }

        /**
         * The token endpoint (instead of discovering it from the issuer).
         *
         * @param url the endpoint
         * @return this builder
         */
        public Builder tokenEndpoint(String url) {
            return set("token_endpoint", url);
        }

        /**
         * The revocation endpoint (RFC 7009).
         *
         * @param url the endpoint
         * @return this builder
         */
        public Builder revocationEndpoint(String url) {
            return set("revocation_endpoint", url);
        }

        /**
         * The client id.
         *
         * @param clientId the id
         * @return this builder
         */
        public Builder clientId(String clientId) {
            return set("client_id", clientId);
        }

        /**
         * The client secret.
         *
         * @param secret the secret
         * @return this builder
         */
        public Builder clientSecret(String secret) {
            return set("client_secret", secret);
        }

        /**
         * The scopes to ask for.
         *
         * @param scopes one or more scopes, e.g. {@code read:logs-*}
         * @return this builder
         */
        public Builder scope(String... scopes) {
            return set("scope", String.join(" ", Objects.requireNonNull(scopes)));
        }

        /**
         * The scopes to ask for.
         *
         * @param scopes the scopes
         * @return this builder
         */
        public Builder scopes(List<String> scopes) {
            return set("scope", String.join(" ", new ArrayList<>(scopes)));
        }

        /**
         * The resource the token is for (RFC 8707).
         *
         * @param resource e.g. the proxy's URL
         * @return this builder
         */
        public Builder resource(String resource) {
            return set("resource", resource);
        }

        /**
         * How to authenticate to the token endpoint.
         *
         * @param auth the method
         * @return this builder
         */
        public Builder auth(Auth auth) {
            return set("auth", auth == null ? null : auth.name().toLowerCase(java.util.Locale.ROOT));
        }

        /**
         * The proxy that {@link Client#request} and {@link Client#search} call (defaults to the
         * issuer).
         *
         * @param url the proxy's URL
         * @return this builder
         */
        public Builder baseUrl(String url) {
            return set("base_url", url);
        }

        /**
         * A fixed access token to use instead of acquiring one.
         *
         * @param token the token
         * @return this builder
         */
        public Builder accessToken(String token) {
            return set("access_token", token);
        }

        /**
         * The configuration as the core's JSON.
         *
         * @return JSON text
         */
        public String toJson() {
            return Json.write(config);
        }

        /**
         * The client.
         *
         * @return a new client
         * @throws ConfigException naming a bad field
         */
        public Client build() {
            return new Client(toJson());
        }
    }
}
