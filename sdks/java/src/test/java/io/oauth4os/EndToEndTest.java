package io.oauth4os;

import static io.oauth4os.Support.INDEX;
import static io.oauth4os.Support.SECRET_INDEX;
import static io.oauth4os.Support.agent;
import static io.oauth4os.Support.hits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** End to end against the real proxy, the real OpenSearch and the real OpenID provider. */
class EndToEndTest {
    private static final String MATCH_ALL = "{\"query\":{\"match_all\":{}}}";

    @BeforeAll
    static void seed() {
        Support.seed();
    }

    @Test
    void clientCredentialsTokenCachedAndSearch() {
        try (Client client = agent("java-agent", "read:java-logs-*").build()) {
            TokenResponse token = client.token();
            assertEquals("bearer", token.tokenType().toLowerCase(java.util.Locale.ROOT));
            assertEquals("read:java-logs-*", token.scope().orElseThrow());
            assertTrue(token.expiresIn().orElseThrow().compareTo(Duration.ofSeconds(60)) > 0);
            assertFalse(token.toString().contains(token.accessToken()), "toString never shows the token");
            assertEquals(token.accessToken(), client.token().accessToken(), "cached");
            assertEquals("Bearer " + token.accessToken(), client.authorizationHeader());
            assertEquals(token.accessToken(), client.tokenAsync().join().accessToken());
            assertEquals(1, hits(client.search(INDEX, "{\"query\":{\"match\":{\"level\":\"error\"}}}")));
            assertEquals(2, hits(client.searchAsync(INDEX, MATCH_ALL).join()));
            assertEquals(1, client.stats().tokenRequests());
            Response r = client.request("GET", "/" + INDEX + "/_doc/1");
            assertEquals(200, r.status());
            assertTrue(r.headers().get("content-type").get(0).startsWith("application/json"));
            assertTrue(r.text().contains("disk full"));
            assertEquals(404, client.request("GET", "/" + INDEX + "/_doc/nope").status());
        }
    }

    @Test
    void writesThroughTheProxy() {
        try (Client client = agent("java-agent", "read:java-logs-* write:java-logs-*").build()) {
            Response r = client.request("PUT", "/" + INDEX + "/_doc/j-new?refresh=true",
                    "{\"level\":\"warn\"}".getBytes(StandardCharsets.UTF_8));
            assertTrue(r.status() == 200 || r.status() == 201, r.text());
            assertEquals(200, client.requestAsync("DELETE", "/" + INDEX + "/_doc/j-new?refresh=true", null).join().status());
        }
    }

    @Test
    void tokensRenewThemselvesWhenTheyExpire() throws Exception {
        try (Client client = agent("java-short", "read:java-logs-*").build();
                Verifier strict = Verifier.builder().issuer(Support.proxy()).audience(Support.proxy())
                        .leeway(Duration.ZERO).build()) {
            TokenResponse first = client.token();
            assertEquals(Duration.ofSeconds(3), first.expiresIn().orElseThrow());
            assertEquals(2, hits(client.search(INDEX, MATCH_ALL)));
            Thread.sleep(3500);
            assertEquals(2, hits(client.search(INDEX, MATCH_ALL)));
            TokenResponse second = client.token();
            assertNotEquals(first.accessToken(), second.accessToken());
            assertEquals(2, client.stats().tokenRequests());
            InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> strict.verify(first.accessToken()));
            assertEquals("expired", e.reason());
            assertEquals("java-short", strict.verify(second.accessToken()).clientId().orElseThrow());
            // An explicit refresh after a stale token: one more request; refreshing with an old
            // stale token again does not send another.
            TokenResponse third = client.refresh(second.accessToken());
            assertNotEquals(second.accessToken(), third.accessToken());
            assertEquals(third.accessToken(), client.refresh(second.accessToken()).accessToken());
            assertEquals(3, client.stats().tokenRequests());
        }
    }

    @Test
    void aRevokedTokenIsRefusedWithReasonRevoked() {
        try (Client client = agent("java-agent", "read:java-logs-*").build()) {
            String token = client.accessToken();
            try (Client fixed = Client.builder().accessToken(token).baseUrl(Support.proxy()).build()) {
                assertEquals(2, hits(fixed.search(INDEX, MATCH_ALL)));
                client.revoke();
                InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> fixed.search(INDEX, MATCH_ALL));
                assertEquals("invalid_token", e.code());
                assertEquals("revoked", e.reason());
                assertFalse(e.getMessage().contains(token), "the error never holds the token");
                CompletionException async = assertThrows(CompletionException.class,
                        () -> fixed.requestAsync("GET", "/" + INDEX + "/_count", null).join());
                assertEquals("revoked", ((InvalidTokenException) async.getCause()).reason());
            }
            // The revoking client goes on with a new token.
            assertNotEquals(token, client.accessToken());
            assertEquals(2, hits(client.search(INDEX, MATCH_ALL)));
            assertEquals(2, client.stats().tokenRequests());
        }
    }

    @Test
    void errorsCarryTheirCodeReasonAndScope() {
        InvalidClientException bad = assertThrows(InvalidClientException.class,
                () -> Client.builder().issuer(Support.proxy()).clientId("java-agent").clientSecret("nope").build().token());
        assertEquals("invalid_client", bad.code());
        try (Client client = agent("java-agent", "read:java-logs-*").build()) {
            InsufficientScopeException e = assertThrows(InsufficientScopeException.class,
                    () -> client.search(SECRET_INDEX, MATCH_ALL));
            assertEquals("read:" + SECRET_INDEX, e.scope().orElseThrow());
            assertThrows(InvalidRequestException.class, () -> client.search(INDEX, "{not json"));
        }
        assertThrows(InvalidScopeException.class, () -> agent("java-agent", "admin:*").build().token());
        NetworkException down = assertThrows(NetworkException.class,
                () -> Client.builder().tokenEndpoint("http://127.0.0.1:1/oauth/token").clientId("x").clientSecret("y").build().token());
        assertEquals("network", down.code());
    }

    @Test
    void theVerifierDiscoversTheProxysKeys() {
        try (Client client = agent("java-agent", "read:java-logs-*").build();
                Verifier verifier = Verifier.builder().issuer(Support.proxy()).audience(Support.proxy()).requiredTyp("at+jwt").build()) {
            verifier.prefetchKeys();
            String token = client.accessToken();
            Claims claims = verifier.verify(token);
            assertEquals("java-agent", claims.clientId().orElseThrow());
            assertEquals(Support.proxy(), claims.iss());
            assertEquals("read:java-logs-*", claims.scope().orElseThrow());
            assertTrue(claims.expiresAt().isAfter(java.time.Instant.now()));
            assertEquals(claims, verifier.cached(token, null).orElseThrow());
            try (Verifier elsewhere = Verifier.builder().issuer(Support.proxy()).audience("https://elsewhere").build()) {
                assertEquals("wrong_audience", assertThrows(InvalidTokenException.class, () -> elsewhere.verify(token)).reason());
            }
            String tampered = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
            assertThrows(InvalidTokenException.class, () -> verifier.verify(tampered));
        }
    }

    @Test
    void tokensOfTheExternalOpenIdProvider() {
        try (Client idp = Client.builder().issuer(Support.idp()).clientId("agent-a").clientSecret("secret-a")
                        .scope("read:java-logs-*").resource(Support.proxy()).baseUrl(Support.proxy()).build();
                Verifier verifier = Verifier.builder().issuer(Support.idp()).audience(Support.proxy()).requiredTyp("at+jwt").build()) {
            String token = idp.accessToken();
            Claims claims = verifier.verify(token);
            assertEquals(Support.idp(), claims.iss());
            assertEquals("agent-a", claims.clientId().orElseThrow());
            assertEquals(claims, verifier.verifyAsync(token, null).join());
            // The proxy accepts it through its tenant and forwards the search.
            assertEquals(2, hits(idp.search(INDEX, MATCH_ALL)));
            // Token exchange (RFC 8693) of the provider's token for one of the proxy's.
            try (Client exchanger = agent("java-exchanger", "read:java-logs-*").build()) {
                TokenResponse t = exchanger.exchange(token, null, "read:java-logs-1", null);
                assertEquals("read:java-logs-1", t.scope().orElseThrow());
            }
        }
        assertThrows(InvalidClientException.class,
                () -> Client.builder().issuer(Support.idp()).clientId("agent-a").clientSecret("nope").build().token());
    }
}
