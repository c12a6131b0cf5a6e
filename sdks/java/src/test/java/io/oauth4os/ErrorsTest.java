package io.oauth4os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Bad input, closed handles, panics: typed exceptions, never a JVM crash. And the packaging. */
class ErrorsTest {
    private static Verifier fixed() {
        Map<String, Object> v = Support.vectors();
        return Verifier.fromJwks(Json.write(v.get("jwks")), Json.write(v.get("verifier")));
    }

    @Test
    void malformedTokensAreInvalidToken() {
        try (Verifier v = fixed()) {
            List<String> bad = new ArrayList<>(List.of("", "a", "a.b", "a.b.c", "...", "eyJ.eyJ.sig", "\u0000\u0001",
                    "é.ü.ß", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."));
            bad.add("x".repeat(1 << 20));
            for (String t : bad) {
                InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> v.verify(t), t.length() > 20 ? "long" : t);
                assertEquals("invalid_token", e.code());
                assertFalse(e.reason().isEmpty());
            }
        }
    }

    @Test
    void badConfigurationIsConfigNamingTheField() {
        assertThrows(ConfigException.class, () -> new Client("{"));
        ConfigException e = assertThrows(ConfigException.class, () -> new Client("{\"client_id\":\"a\",\"colour\":\"x\"}"));
        assertTrue(e.getMessage().contains("colour"), e.getMessage());
        ConfigException secret = assertThrows(ConfigException.class,
                () -> new Client("{\"client_id\":\"a\",\"client_secret\":42}"));
        assertFalse(secret.getMessage().contains("42"), "a bad value is never echoed");
        assertThrows(ConfigException.class, () -> new Verifier("[]"));
        assertThrows(ConfigException.class, () -> new Verifier("{\"issuer\":\"i\",\"audiences\":[\"a\"],\"cache_capacity\":-1}"));
        // A JWKS without a usable key: the core answers `upstream` (the same as for a fetched one).
        OAuth4osException noKey = assertThrows(OAuth4osException.class,
                () -> Verifier.fromJwks("{\"keys\":[{\"kty\":\"EC\"}]}", "{\"issuer\":\"i\",\"audiences\":[\"a\"]}"));
        assertTrue(noKey.getMessage().contains("no usable signing key"), noKey.getMessage());
        assertTrue(assertThrows(OAuth4osException.class,
                () -> Verifier.fromJwks("not json", "{\"issuer\":\"i\",\"audiences\":[\"a\"]}")).getMessage().contains("JWKS"));
        try (Verifier discovering = Verifier.builder().issuer("https://idp.invalid").audience("a").build()) {
            ConfigException sync = assertThrows(ConfigException.class, () -> discovering.verifySync("a.b.c", null));
            assertEquals("needs_fixed_keys", sync.reason());
            assertTrue(sync.help().isPresent());
        }
    }

    @Test
    void nullsAndBadScopesAreTyped() {
        assertEquals("invalid_request", assertThrows(InvalidRequestException.class, () -> Scopes.normalize(null)).code());
        InvalidScopeException e = assertThrows(InvalidScopeException.class, () -> Scopes.normalize("read:Logs"));
        assertEquals("invalid_pattern", e.reason());
        assertEquals("scope_not_allowed", assertThrows(InvalidScopeException.class,
                () -> Scopes.attenuate("admin:*", "read:logs-*")).reason());
        assertThrows(InvalidScopeException.class, () -> Scopes.allows("read:a", "fly", "a"));
        assertThrows(InvalidRequestException.class, () -> new Client(null));
    }

    @Test
    void closedHandlesThrowIllegalState() {
        Verifier v = fixed();
        v.close();
        v.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> v.verify("a.b.c"));
        assertTrue(e.getMessage().contains("Verifier is closed"));
        assertEquals("Verifier[closed]", v.toString());
        Client c = new Client("{\"access_token\":\"t\",\"base_url\":\"http://127.0.0.1:1\"}");
        c.close();
        assertThrows(IllegalStateException.class, c::token);
        assertThrows(IllegalStateException.class, c::stats);
        java.util.concurrent.CompletionException async = assertThrows(java.util.concurrent.CompletionException.class,
                () -> c.tokenAsync().join());
        assertTrue(async.getCause() instanceof IllegalStateException, async.toString());
    }

    @Test
    void closingWhileOtherThreadsVerifyNeverCrashes() throws Exception {
        Map<String, Object> vec = Support.vectors();
        long now = ((Number) vec.get("now")).longValue();
        String token = Support.list(vec.get("verification")).stream().map(Support::map)
                .filter(c -> "valid_es256".equals(c.get("name"))).map(c -> (String) c.get("token")).findFirst().orElseThrow();
        for (int round = 0; round < 20; round++) {
            Verifier v = fixed();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger closed = new AtomicInteger();
            List<Integer> done = ConcurrencyTest.together(8, () -> {
                for (int i = 0; i < 200; i++) {
                    if (i == 100) {
                        v.close();
                    }
                    try {
                        v.verify(token, now);
                        ok.incrementAndGet();
                    } catch (IllegalStateException e) {
                        closed.incrementAndGet();
                    }
                }
                return 1;
            });
            assertEquals(8, done.size());
            assertEquals(1600, ok.get() + closed.get());
            assertTrue(closed.get() > 0);
        }
    }

    @Test
    void aNativePanicIsAnInternalExceptionAndTheLibraryGoesOn() {
        InternalException e = assertThrows(InternalException.class, Native::testPanic);
        assertEquals("internal", e.code());
        assertFalse(e.getMessage().contains("deliberate"), "the panic's payload is not echoed");
        assertEquals("read:a", Scopes.normalize("read:a"));
    }

    @Test
    void theJarsVersionIsTheWorkspacesAndTheLibrarysOwn() {
        String cargo = Support.read(Support.root().resolve("Cargo.toml"));
        String workspace = cargo.replaceAll("(?s).*\\[workspace\\.package\\]\\s*version = \"([^\"]+)\".*", "$1");
        assertEquals(workspace, OAuth4os.version());
        assertEquals(OAuth4os.version(), OAuth4os.packageVersion());
    }

    @Test
    void theLibraryIsExtractedOnceIntoAPrivateCacheAndChecked() throws Exception {
        OAuth4os.version(); // loaded
        assertEquals("linux-x86_64", NativeLoader.platform());
        String sum;
        try (var in = NativeLoader.class.getResourceAsStream("native/linux-x86_64/" + NativeLoader.libraryName() + ".sha256")) {
            sum = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).split("\\s+")[0];
        }
        // $XDG_CACHE_HOME/oauth4os/native/<version>-<sha256 prefix>/<library>, owner-only.
        Path dir = Path.of(System.getenv("XDG_CACHE_HOME"), "oauth4os", "native", OAuth4os.version() + "-" + sum.substring(0, 16));
        try (var s = Files.list(dir)) {
            assertEquals(List.of(dir.resolve(NativeLoader.libraryName())), s.toList(), "one library, no temporary files");
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals(sum, NativeLoader.digest(Files.readAllBytes(dir.resolve(NativeLoader.libraryName()))));
        String message = NativeLoader.unsupported("freebsd-riscv64").getMessage();
        assertTrue(message.contains("no native library for freebsd-riscv64"), message);
        assertTrue(message.contains("cargo build --release -p oauth4os-java") && message.contains(NativeLoader.OVERRIDE), message);
    }
}
