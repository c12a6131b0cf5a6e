package oauth4os_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	oauth4os "example.invalid/oauth4os/sdks/go"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Interop both ways with golang-jwt/jwt/v5 and golang.org/x/oauth2.

const (
	interopIss = "https://golang-jwt.test"
	interopAud = "https://proxy.test"
)

var b64 = base64.RawURLEncoding

func jwkOf(kid string, key crypto.PublicKey) map[string]any {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		point, err := k.Bytes() // 0x04 || x || y
		if err != nil || len(point) != 65 {
			panic(fmt.Sprintf("not a P-256 point: %v", err))
		}
		return map[string]any{"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
			"x": b64.EncodeToString(point[1:33]), "y": b64.EncodeToString(point[33:])}
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
			"n": b64.EncodeToString(k.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
	}
	panic(fmt.Sprintf("no JWK for %T", key))
}

// keyOf is the public key of a JWK (what golang-jwt needs; it reads no JWKS itself).
func keyOf(t testing.TB, jwk map[string]any) crypto.PublicKey {
	t.Helper()
	raw := func(k string) []byte {
		b, err := b64.DecodeString(jwk[k].(string))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	switch jwk["kty"] {
	case "EC":
		k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, raw("x")...), raw("y")...))
		if err != nil {
			t.Fatal(err)
		}
		return k
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(raw("n")), E: int(new(big.Int).SetBytes(raw("e")).Int64())}
	}
	t.Fatalf("unsupported JWK %v", jwk)
	return nil
}

func sign(t testing.TB, method jwt.SigningMethod, key crypto.PrivateKey, kid, subject string, ttl time.Duration) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(method, jwt.MapClaims{
		"iss": interopIss, "aud": interopAud, "sub": subject, "client_id": subject, "scope": "read:logs-*",
		"team": "blue", "jti": fmt.Sprintf("%s-%d", subject, now.UnixNano()), "iat": now.Unix(), "exp": now.Add(ttl).Unix(),
	})
	tok.Header["kid"] = kid
	tok.Header["typ"] = "at+jwt"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type interopKeys struct {
	ec   *ecdsa.PrivateKey
	rsa  *rsa.PrivateKey
	jwks string
}

func newInteropKeys(t testing.TB) interopKeys {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := mustJSON(t, map[string]any{"keys": []any{jwkOf("g-es", &ec.PublicKey), jwkOf("g-rs", &rk.PublicKey)}})
	return interopKeys{ec: ec, rsa: rk, jwks: jwks}
}

func interopConfig() oauth4os.VerifierConfig {
	return oauth4os.VerifierConfig{Issuer: interopIss, Audiences: []string{interopAud}, RequiredTyp: "at+jwt"}
}

func TestTokensGolangJWTSignsVerifyHere(t *testing.T) {
	k := newInteropKeys(t)
	v, err := oauth4os.NewVerifierFromJWKS(k.jwks, interopConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	es, err := v.Verify(ctx, sign(t, jwt.SigningMethodES256, k.ec, "g-es", "es-agent", 5*time.Minute))
	if err != nil || es.Sub != "es-agent" || es.Extra["team"] != "blue" || len(es.Aud) != 1 || es.Aud[0] != interopAud {
		t.Fatalf("%+v %v", es, err)
	}
	rs, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, k.rsa, "g-rs", "rs-agent", 5*time.Minute))
	if err != nil || rs.ClientID != "rs-agent" {
		t.Fatalf("%+v %v", rs, err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodES256, other, "g-es", "x", time.Minute)); !errors.Is(err, oauth4os.ErrBadSignature) {
		t.Fatalf("a key the JWKS does not hold: %v", err)
	}
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodES256, k.ec, "g-es", "x", -time.Hour)); !errors.Is(err, oauth4os.ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	// HS256 with the public key as the secret (algorithm confusion) is refused.
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": interopIss, "aud": interopAud, "exp": time.Now().Add(time.Hour).Unix()})
	hs.Header["kid"] = "g-es"
	s, _ := hs.SignedString([]byte(k.jwks))
	if _, err := v.Verify(ctx, s); !errors.Is(err, oauth4os.ErrInvalidToken) {
		t.Fatalf("HS256: %v", err)
	}
}

// proxyKeyfunc verifies with the proxy's published JWKS, through golang-jwt only.
func proxyKeyfunc(t testing.TB) jwt.Keyfunc {
	st, body := do(t, "GET", proxyURL(t)+"/.well-known/jwks.json", "", "")
	if st != 200 {
		t.Fatalf("jwks: %d", st)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &set); err != nil {
		t.Fatal(err)
	}
	return func(tok *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k["kid"] == tok.Header["kid"] {
				return keyOf(t, k), nil
			}
		}
		return nil, errors.New("unknown kid")
	}
}

func TestTokensTheProxyIssuesVerifyWithGolangJWT(t *testing.T) {
	c := agent(t, "go-agent", "read:go-logs-*")
	token, err := c.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(token, claims, proxyKeyfunc(t), jwt.WithValidMethods([]string{"ES256", "RS256"}),
		jwt.WithIssuer(proxyURL(t)), jwt.WithAudience(proxyURL(t)), jwt.WithExpirationRequired())
	if err != nil || !parsed.Valid {
		t.Fatalf("golang-jwt refuses the proxy's token: %v", err)
	}
	if claims["client_id"] != "go-agent" || parsed.Header["typ"] != "at+jwt" {
		t.Fatalf("%v %v", claims, parsed.Header)
	}
}

func TestClientCredentialsOfXOAuth2AgainstTheProxy(t *testing.T) {
	seed(t)
	ctx := context.Background()
	cfg := clientcredentials.Config{ClientID: "go-agent", ClientSecret: secret(t), TokenURL: proxyURL(t) + "/oauth/token",
		Scopes: []string{"read:go-logs-*"}}
	tok, err := cfg.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := proxyVerifier(t, proxyURL(t), 0)
	claims, err := v.Verify(ctx, tok.AccessToken)
	if err != nil || claims.ClientID != "go-agent" || claims.Scope != "read:go-logs-*" {
		t.Fatalf("our verifier on x/oauth2's token: %+v %v", claims, err)
	}
	// x/oauth2's HTTP client searches through the proxy with it.
	resp, err := cfg.Client(ctx).Post(proxyURL(t)+"/"+index+"/_search", "application/json", strings.NewReader(matchAll))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	// And our TokenSource drives x/oauth2's client.
	c := agent(t, "go-agent", "read:go-logs-*")
	hc := oauth2.NewClient(ctx, oauth2.ReuseTokenSource(nil, c.TokenSource()))
	for range 3 {
		resp, err = hc.Post(proxyURL(t)+"/"+index+"/_search", "application/json", strings.NewReader(matchAll))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	}
	ot, err := c.TokenSource().Token()
	if err != nil || !ot.Valid() || ot.Type() != "Bearer" || c.Stats().TokenRequests != 1 {
		t.Fatalf("%v %v, %d requests", ot, err, c.Stats().TokenRequests)
	}
}

func TestTransportRenewsARevokedTokenOnce(t *testing.T) {
	seed(t)
	ctx := context.Background()
	c := agent(t, "go-agent", "read:go-logs-*")
	hc := &http.Client{Transport: c.Transport(nil)}
	search := func() int {
		req, _ := http.NewRequestWithContext(ctx, "POST", proxyURL(t)+"/"+index+"/_search", strings.NewReader(matchAll))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := search(); st != 200 {
		t.Fatalf("status %d", st)
	}
	token, _ := c.AccessToken(ctx)
	// Revoked behind the client's back: the transport sees invalid_token, renews and retries.
	other := agent(t, "go-agent", "read:go-logs-*")
	if err := other.RevokeToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	if st := search(); st != 200 {
		t.Fatalf("after revocation: status %d", st)
	}
	if fresh, _ := c.AccessToken(ctx); fresh == token || c.Stats().TokenRequests != 2 {
		t.Fatalf("%d token requests", c.Stats().TokenRequests)
	}
	// Too little scope stays a 403 (no retry, no new token).
	req, _ := http.NewRequestWithContext(ctx, "GET", proxyURL(t)+"/"+secretIndex+"/_search", nil)
	resp, err := hc.Do(req)
	if err != nil || resp.StatusCode != 403 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	if c.Stats().TokenRequests != 2 {
		t.Fatal("a 403 renewed the token")
	}
}
