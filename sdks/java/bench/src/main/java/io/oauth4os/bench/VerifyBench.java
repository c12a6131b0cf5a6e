package io.oauth4os.bench;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.oauth4os.Claims;
import io.oauth4os.Scopes;
import io.oauth4os.Verifier;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Verifying an access token: oauth4os (cold: first sight of the token, a verifier without a
 * cache; cached: the same token again) against nimbus-jose-jwt with a pre-parsed key (parse,
 * signature, the same claim checks), for ES256 and RS256; and the cost of one JNI crossing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class VerifyBench {
    static final String ISS = "https://bench.oauth4os.test";
    static final String AUD = "https://proxy.oauth4os.test";

    @Param({"ES256", "RS256"})
    public String alg;

    String token;
    Verifier cold;
    Verifier cached;
    JWSVerifier nimbus;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        JWSSigner signer;
        String jwks;
        JWSAlgorithm a = JWSAlgorithm.parse(alg);
        if (a == JWSAlgorithm.ES256) {
            ECKey k = new ECKeyGenerator(Curve.P_256).keyID("k").algorithm(a).generate();
            signer = new ECDSASigner(k);
            nimbus = new ECDSAVerifier(k.toPublicJWK());
            jwks = new JWKSet(k.toPublicJWK()).toString();
        } else {
            RSAKey k = new RSAKeyGenerator(2048).keyID("k").algorithm(a).generate();
            signer = new RSASSASigner(k);
            nimbus = new RSASSAVerifier(k.toPublicJWK());
            jwks = new JWKSet(k.toPublicJWK()).toString();
        }
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISS).audience(AUD).subject("bench")
                .claim("client_id", "bench").claim("scope", "read:logs-*").jwtID("j-1")
                .issueTime(new Date()).expirationTime(new Date(System.currentTimeMillis() + 3_600_000)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(a).keyID("k").type(new JOSEObjectType("at+jwt")).build(), claims);
        jwt.sign(signer);
        token = jwt.serialize();
        Verifier.Builder b = Verifier.builder().issuer(ISS).audience(AUD).requiredTyp("at+jwt");
        cached = b.buildFromJwks(jwks);
        cold = Verifier.builder().issuer(ISS).audience(AUD).requiredTyp("at+jwt").cacheCapacity(0).buildFromJwks(jwks);
        cached.verify(token);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cold.close();
        cached.close();
    }

    /** oauth4os, the signature checked every time (a verifier without a cache). */
    @Benchmark
    public Claims oauth4osCold() {
        return cold.verify(token);
    }

    /** oauth4os, a token it verified before (the verified-token cache). */
    @Benchmark
    public Claims oauth4osCached() {
        return cached.verify(token);
    }

    /** nimbus-jose-jwt with the key parsed once: parse, verify the signature, check the claims. */
    @Benchmark
    public JWTClaimsSet nimbus() throws Exception {
        SignedJWT jwt = SignedJWT.parse(token);
        if (!jwt.verify(nimbus)) {
            throw new IllegalStateException("bad signature");
        }
        JWTClaimsSet c = jwt.getJWTClaimsSet();
        if (!ISS.equals(c.getIssuer()) || !c.getAudience().equals(List.of(AUD)) || !c.getExpirationTime().after(new Date())
                || !new JOSEObjectType("at+jwt").equals(jwt.getHeader().getType())) {
            throw new IllegalStateException("bad claims");
        }
        return c;
    }

    /** One JNI crossing with two short strings in and a boolean out. */
    @Benchmark
    public boolean jniCrossing() {
        return Scopes.matches("logs-*", "logs-1");
    }
}
