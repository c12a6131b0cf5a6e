package io.oauth4os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Replays core/conformance/vectors.json through the package: same results, same codes, same reasons. */
class ConformanceTest {
    private static final Map<String, Object> V = Support.vectors();

    private static Map<String, Object> outcome(Supplier<Object> call, String valueKey) {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            Object value = call.get();
            out.put("ok", true);
            if (valueKey == null) {
                out.putAll(Support.map(value));
            } else {
                out.put(valueKey, value);
            }
        } catch (OAuth4osException e) {
            assertEquals(e.getClass(), OAuth4osException.of(e.code(), "r", "m", null, null, null).getClass(),
                    e.code() + " has the wrong class " + e.getClass().getSimpleName());
            out.put("ok", false);
            out.put("code", e.code());
            out.put("reason", e.reason());
        }
        return out;
    }

    private static Verifier fixed() {
        return Verifier.fromJwks(Json.write(V.get("jwks")), Json.write(V.get("verifier")));
    }

    @Test
    void verificationVectorsSyncAsyncAndFromTheCache() {
        long now = ((Number) V.get("now")).longValue();
        int valid = 0;
        int cases = 0;
        try (Verifier sync = fixed(); Verifier async = fixed()) {
            for (Object o : Support.list(V.get("verification"))) {
                Map<String, Object> c = Support.map(o);
                String token = (String) c.get("token");
                Object expect = c.get("expect");
                assertEquals(expect, outcome(() -> sync.verify(token, now).toMap(), "claims"), "vector " + c.get("name"));
                Map<String, Object> viaFuture = outcome(() -> {
                    try {
                        return async.verifyAsync(token, now).join().toMap();
                    } catch (CompletionException e) {
                        throw (OAuth4osException) e.getCause();
                    }
                }, "claims");
                assertEquals(expect, viaFuture, "vector " + c.get("name") + " (verifyAsync)");
                if (Boolean.TRUE.equals(Support.map(expect).get("ok"))) {
                    valid++;
                    assertEquals(Support.map(expect).get("claims"), sync.cached(token, now).orElseThrow().toMap());
                    assertEquals(Support.map(expect).get("claims"), sync.verifySync(token, now).toMap());
                } else {
                    assertTrue(sync.cached(token, now).isEmpty(), "a refused token is never cached");
                }
                cases++;
            }
        }
        assertTrue(cases >= 30, "only " + cases + " verification vectors");
        assertTrue(valid >= 5, "the vectors include valid tokens");
    }

    @Test
    void aVerifiedTokenIsRefusedOnceExpiredCacheOrNot() {
        long now = ((Number) V.get("now")).longValue();
        String token = Support.list(V.get("verification")).stream().map(Support::map)
                .filter(c -> "valid_es256".equals(c.get("name"))).map(c -> (String) c.get("token")).findFirst().orElseThrow();
        try (Verifier v = fixed()) {
            Claims claims = v.verify(token, now);
            assertEquals("my-agent", claims.clientId().orElseThrow());
            assertEquals(java.util.List.of("read:logs-*"), claims.scopes());
            long leeway = ((Number) Support.map(V.get("verifier")).get("leeway")).longValue();
            InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> v.verify(token, claims.exp() + leeway + 1));
            assertEquals("expired", e.reason());
            assertTrue(v.cached(token, claims.exp() + leeway + 1).isEmpty());
        }
    }

    private static final Map<String, Function<Map<String, Object>, Object>> SCOPE_OPS = Map.of(
            "parse", c -> Scopes.normalize((String) c.get("input")),
            "allows", c -> Scopes.allows((String) c.get("granted"), (String) c.get("action"), (String) c.get("target")),
            "covers", c -> Scopes.covers((String) c.get("granted"), (String) c.get("scope")),
            "is_within", c -> Scopes.isWithin((String) c.get("scopes"), (String) c.get("ceiling")),
            "attenuate", c -> Scopes.attenuate((String) c.get("requested"), (String) c.get("allowed")));

    @Test
    void scopeVectors() {
        Map<String, Object> scopes = Support.map(V.get("scopes"));
        int total = 0;
        for (Map.Entry<String, Function<Map<String, Object>, Object>> op : SCOPE_OPS.entrySet()) {
            for (Object o : Support.list(scopes.get(op.getKey()))) {
                Map<String, Object> c = Support.map(o);
                assertEquals(c.get("expect"), outcome(() -> op.getValue().apply(c), "value"), op.getKey() + " " + c);
                total++;
            }
        }
        assertTrue(total >= 60, "only " + total + " scope cases");
        assertEquals(java.util.List.of("read:a", "write:b"), Scopes.parse("write:b read:a read:a"));
    }

    @Test
    void classificationVectors() {
        int total = 0;
        for (Object o : Support.list(V.get("classification"))) {
            Map<String, Object> c = Support.map(o);
            String body = (String) c.get("body");
            byte[] bytes = body == null || body.isEmpty() ? null : body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Map<String, Object> got = outcome(() -> OAuth4os.classify((String) c.get("method"), (String) c.get("path"),
                    (String) c.get("query"), bytes).toMap(), null);
            assertEquals(c.get("expect"), got, c.get("method") + " " + c.get("path") + ": " + c.get("why"));
            total++;
        }
        assertTrue(total >= 90, "only " + total + " classification cases");
        Classified c = OAuth4os.classify("GET", "/logs-1/_search");
        assertEquals("search", c.endpoint());
        assertEquals("read", c.accesses().get(0).action());
        assertInstanceOf(InvalidRequestException.class, assertThrows(OAuth4osException.class,
                () -> OAuth4os.classify("GET", "/logs%zz/_search")));
    }

    @Test
    void theOfflineDecisionExplains() {
        String claims = "{\"iss\":\"i\",\"aud\":[\"a\"],\"exp\":1,\"client_id\":\"bot\",\"scope\":\"read:logs-*\"}";
        Decision allowed = OAuth4os.decide(claims, "GET", "/logs-1/_search", null, null, null);
        assertTrue(allowed.allowed());
        assertEquals("read:logs-*", allowed.accesses().get(0).get("scope"));
        Decision denied = OAuth4os.decide(claims, "GET", "/metrics/_search", null, null, null);
        OAuth4osException why = denied.error().orElseThrow();
        assertInstanceOf(InsufficientScopeException.class, why);
        assertEquals("read:metrics", why.scope().orElseThrow());
        assertThrows(ConfigException.class, () -> OAuth4os.decide(claims, "GET", "/", null, null, "{\"x.cedar\":\"nonsense\"}"));
        assertThrows(InvalidRequestException.class, () -> OAuth4os.decide("{}", "GET", "/", null, null, null));
    }
}
