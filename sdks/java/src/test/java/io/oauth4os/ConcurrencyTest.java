package io.oauth4os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One object shared by many threads: single-flight token requests, verification without leaks. */
class ConcurrencyTest {
    static <T> List<T> together(int threads, Callable<T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void thirtyTwoThreadsCauseOneTokenRequestPerRefresh() throws Exception {
        try (Client client = Support.agent("java-short", "read:java-logs-*").build()) {
            Set<String> first = new HashSet<>(together(32, client::accessToken));
            assertEquals(1, first.size(), "every thread got the same token");
            assertEquals(1, client.stats().tokenRequests());
            Thread.sleep(3500); // the 3 s token has expired: the next callers renew it, once
            Set<String> second = new HashSet<>(together(32, client::accessToken));
            assertEquals(1, second.size());
            assertTrue(!second.equals(first), "a new token");
            assertEquals(2, client.stats().tokenRequests());
            // Mixed blocking and CompletableFuture callers share the flight too.
            client.invalidate();
            Set<String> third = new HashSet<>(together(32, () -> client.accessTokenAsync().join()));
            assertEquals(1, third.size());
            assertEquals(3, client.stats().tokenRequests());
        }
    }

    static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void tenThousandVerifiesAcrossThreadsLeakNoNativeMemory() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("n-es").algorithm(JWSAlgorithm.ES256).generate();
        String jwks = new JWKSet(key.toPublicJWK()).toString();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            tokens.add(InteropTest.sign(key, JWSAlgorithm.ES256, "agent-" + i, 3600));
        }
        String config = Verifier.builder().issuer(InteropTest.ISS).audience(InteropTest.AUD).cacheCapacity(500).toJson();
        long handles = Native.liveHandles();
        try (Verifier v = Verifier.fromJwks(jwks, config)) {
            AtomicInteger n = new AtomicInteger();
            Callable<Integer> round = () -> {
                int ok = 0;
                for (int i = 0; i < 10_000 / 8; i++) {
                    String t = tokens.get(n.getAndIncrement() % tokens.size());
                    ok += v.verify(t).sub().isPresent() ? 1 : 0;
                }
                return ok;
            };
            // Warm up (JIT, allocator arenas, the cache at capacity), then measure over more rounds.
            for (int i = 0; i < 3; i++) {
                assertEquals(10_000, together(8, round).stream().mapToInt(Integer::intValue).sum());
            }
            System.gc();
            long before = rssKb();
            for (int i = 0; i < 10; i++) {
                assertEquals(10_000, together(8, round).stream().mapToInt(Integer::intValue).sum());
            }
            System.gc();
            long grown = rssKb() - before;
            // 100,000 verifications; a leak of even 200 bytes each would be ~20 MB. (The Java heap
            // is fixed and pre-touched by Surefire's argLine, so what grows here is native.)
            assertTrue(grown < 16 * 1024, "resident memory grew by " + grown + " kB over 100,000 verifications");
        }
        assertEquals(handles, Native.liveHandles(), "the verifier's handle was freed");
    }

    @Test
    void handlesAreFreedOnCloseAndWhenDroppedUnclosed() throws Exception {
        String jwks = new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("k").generate().toPublicJWK()).toString();
        String config = Verifier.builder().issuer("https://i").audience("a").toJson();
        long base = Native.liveHandles();
        for (int i = 0; i < 1000; i++) {
            Verifier v = Verifier.fromJwks(jwks, config);
            v.close();
            v.close(); // idempotent
        }
        assertEquals(base, Native.liveHandles());
        for (int i = 0; i < 200; i++) {
            Verifier.fromJwks(jwks, config); // never closed: the Cleaner frees it
        }
        for (int i = 0; i < 100 && Native.liveHandles() > base; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertEquals(base, Native.liveHandles(), "unreachable verifiers were freed");
    }
}
