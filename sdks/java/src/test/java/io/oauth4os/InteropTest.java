package io.oauth4os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Interop both ways with nimbus-jose-jwt: its tokens verify here, the proxy's verify there. */
class InteropTest {
    static final String ISS = "https://nimbus.test";
    static final String AUD = "https://proxy.test";

    static String sign(JWK key, JWSAlgorithm alg, String subject, long expiresInSeconds) throws Exception {
        JWSSigner signer = key instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) key);
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISS).audience(AUD).subject(subject)
                .claim("client_id", subject).claim("scope", "read:logs-*").claim("team", "blue")
                .jwtID(subject + "-" + System.nanoTime())
                .issueTime(new Date()).expirationTime(new Date(System.currentTimeMillis() + expiresInSeconds * 1000)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(new JOSEObjectType("at+jwt")).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    static String config() {
        return Verifier.builder().issuer(ISS).audience(AUD).requiredTyp("at+jwt").toJson();
    }

    @Test
    void tokensNimbusSignsVerifyHere() throws Exception {
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("n-es").algorithm(JWSAlgorithm.ES256).generate();
        RSAKey rsa = new RSAKeyGenerator(2048).keyID("n-rs").algorithm(JWSAlgorithm.RS256).generate();
        String jwks = new JWKSet(List.of(ec.toPublicJWK(), rsa.toPublicJWK())).toString();
        try (Verifier v = Verifier.fromJwks(jwks, config())) {
            Claims es = v.verify(sign(ec, JWSAlgorithm.ES256, "es-agent", 300));
            assertEquals("es-agent", es.sub().orElseThrow());
            assertEquals("blue", es.extra().get("team"));
            assertEquals(List.of(AUD), es.aud());
            Claims rs = v.verify(sign(rsa, JWSAlgorithm.RS256, "rs-agent", 300));
            assertEquals("rs-agent", rs.clientId().orElseThrow());
            // A key nimbus made but the JWKS does not hold, and an expired token, are refused.
            ECKey other = new ECKeyGenerator(Curve.P_256).keyID("n-es").generate();
            assertThrows(InvalidTokenException.class, () -> v.verify(sign(other, JWSAlgorithm.ES256, "x", 300)));
            assertEquals("expired", assertThrows(InvalidTokenException.class,
                    () -> v.verify(sign(ec, JWSAlgorithm.ES256, "x", -3600))).reason());
        }
    }

    @Test
    void tokensTheProxyIssuesVerifyWithNimbus() throws Exception {
        String proxy = Support.proxy();
        JWKSet keys = JWKSet.parse(Support.http("GET", proxy + "/.well-known/jwks.json", null).body());
        try (Client client = Support.agent("java-agent", "read:java-logs-*").build()) {
            SignedJWT jwt = SignedJWT.parse(client.accessToken());
            JWK key = keys.getKeyByKeyId(jwt.getHeader().getKeyID());
            boolean ok = key instanceof ECKey ec ? jwt.verify(new ECDSAVerifier(ec)) : jwt.verify(new RSASSAVerifier((RSAKey) key));
            assertTrue(ok, "nimbus verifies the proxy's signature");
            assertEquals(proxy, jwt.getJWTClaimsSet().getIssuer());
            assertEquals("java-agent", jwt.getJWTClaimsSet().getStringClaim("client_id"));
            assertEquals("at+jwt", jwt.getHeader().getType().getType());
            assertTrue(jwt.getJWTClaimsSet().getExpirationTime().after(new Date()));
        }
    }
}
