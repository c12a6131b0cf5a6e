package oauth4os_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	oauth4os "example.invalid/oauth4os/sdks/go"
)

// End to end against the real proxy, the real OpenSearch and the real OpenID provider.

func agent(t testing.TB, id, scope string) *oauth4os.Client {
	t.Helper()
	c, err := oauth4os.NewClient(oauth4os.ClientConfig{Issuer: proxyURL(t), ClientID: id, ClientSecret: secret(t), Scope: scope, BaseURL: proxyURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func proxyVerifier(t testing.TB, audience string, leeway time.Duration) *oauth4os.Verifier {
	t.Helper()
	v, err := oauth4os.NewVerifier(oauth4os.VerifierConfig{Issuer: proxyURL(t), Audiences: []string{audience}, RequiredTyp: "at+jwt", Leeway: leeway})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func TestClientCredentialsTokenCachedAndSearch(t *testing.T) {
	seed(t)
	ctx := context.Background()
	c := agent(t, "go-agent", "read:go-logs-*")
	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(tok.TokenType, "bearer") || tok.Scope != "read:go-logs-*" || tok.ExpiresIn < 60 {
		t.Fatalf("%v", tok)
	}
	if strings.Contains(tok.String(), tok.AccessToken) {
		t.Fatal("String shows the token")
	}
	again, _ := c.Token(ctx)
	if again.AccessToken != tok.AccessToken {
		t.Fatal("not cached")
	}
	answer, err := c.Search(ctx, index, `{"query":{"match":{"level":"error"}}}`)
	if err != nil || hits(t, answer) != 1 {
		t.Fatalf("%s %v", answer, err)
	}
	r, err := c.Request(ctx, "GET", "/"+index+"/_doc/1", nil)
	if err != nil || r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !strings.Contains(string(r.Body), "disk full") {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := c.Request(ctx, "GET", "/"+index+"/_doc/nope", nil); err != nil || r.Status != 404 {
		t.Fatalf("%+v %v", r, err)
	}
	if n := c.Stats().TokenRequests; n != 1 {
		t.Fatalf("%d token requests", n)
	}
}

func TestTokensRenewThemselvesWhenTheyExpire(t *testing.T) {
	seed(t)
	ctx := context.Background()
	c := agent(t, "go-short", "read:go-logs-*")
	strict := proxyVerifier(t, proxyURL(t), oauth4os.NoLeeway)
	first, err := c.Token(ctx)
	if err != nil || first.ExpiresIn != 3 {
		t.Fatalf("%v %v", first, err)
	}
	time.Sleep(3500 * time.Millisecond)
	answer, err := c.Search(ctx, index, matchAll)
	if err != nil || hits(t, answer) != 2 {
		t.Fatalf("%s %v", answer, err)
	}
	second, _ := c.Token(ctx)
	if second.AccessToken == first.AccessToken || c.Stats().TokenRequests != 2 {
		t.Fatalf("not renewed: %d requests", c.Stats().TokenRequests)
	}
	if _, err := strict.Verify(ctx, first.AccessToken); !errors.Is(err, oauth4os.ErrExpired) {
		t.Fatalf("the old token: %v", err)
	}
	if claims, err := strict.Verify(ctx, second.AccessToken); err != nil || claims.ClientID != "go-short" {
		t.Fatalf("%+v %v", claims, err)
	}
	third, err := c.RefreshStale(ctx, second.AccessToken)
	if err != nil || third.AccessToken == second.AccessToken {
		t.Fatalf("%v %v", third, err)
	}
	same, _ := c.RefreshStale(ctx, second.AccessToken)
	if same.AccessToken != third.AccessToken || c.Stats().TokenRequests != 3 {
		t.Fatalf("a second refresh of the same stale token sent a request (%d)", c.Stats().TokenRequests)
	}
}

func TestARevokedTokenIsRefusedWithErrRevoked(t *testing.T) {
	seed(t)
	ctx := context.Background()
	c := agent(t, "go-agent", "read:go-logs-*")
	token, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fixed, err := oauth4os.NewClient(oauth4os.ClientConfig{AccessToken: token, BaseURL: proxyURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer fixed.Close()
	if answer, err := fixed.Search(ctx, index, matchAll); err != nil || hits(t, answer) != 2 {
		t.Fatalf("%s %v", answer, err)
	}
	if err := c.Revoke(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = fixed.Search(ctx, index, matchAll)
	var e *oauth4os.Error
	if !errors.Is(err, oauth4os.ErrRevoked) || !errors.As(err, &e) || e.Code != "invalid_token" {
		t.Fatalf("after revocation: %v", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Fatal("the error holds the token")
	}
	// The revoking client goes on with a new token.
	if fresh, _ := c.AccessToken(ctx); fresh == token {
		t.Fatal("the revoked token is still cached")
	}
	if answer, err := c.Search(ctx, index, matchAll); err != nil || hits(t, answer) != 2 || c.Stats().TokenRequests != 2 {
		t.Fatalf("%s %v", answer, err)
	}
	// RevokeToken revokes one given token.
	other := agent(t, "go-agent", "read:go-logs-*")
	tok2, _ := other.AccessToken(ctx)
	if err := c.RevokeToken(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	fixed2, _ := oauth4os.NewClient(oauth4os.ClientConfig{AccessToken: tok2, BaseURL: proxyURL(t)})
	defer fixed2.Close()
	if _, err := fixed2.Request(ctx, "GET", "/"+index+"/_count", nil); !errors.Is(err, oauth4os.ErrRevoked) {
		t.Fatalf("RevokeToken: %v", err)
	}
}

func TestErrorsFromThePeers(t *testing.T) {
	ctx := context.Background()
	bad, _ := oauth4os.NewClient(oauth4os.ClientConfig{Issuer: proxyURL(t), ClientID: "go-agent", ClientSecret: "nope"})
	defer bad.Close()
	if _, err := bad.Token(ctx); !errors.Is(err, oauth4os.ErrInvalidClient) {
		t.Fatalf("wrong secret: %v", err)
	}
	seed(t)
	c := agent(t, "go-agent", "read:go-logs-*")
	_, err := c.Search(ctx, secretIndex, matchAll)
	var e *oauth4os.Error
	if !errors.Is(err, oauth4os.ErrInsufficientScope) || !errors.As(err, &e) || e.Scope != "read:"+secretIndex {
		t.Fatalf("%v", err)
	}
	if _, err := agent(t, "go-agent", "admin:*").Token(ctx); !errors.Is(err, oauth4os.ErrInvalidScope) {
		t.Fatalf("too much scope: %v", err)
	}
	down, _ := oauth4os.NewClient(oauth4os.ClientConfig{TokenEndpoint: "http://127.0.0.1:1/oauth/token", ClientID: "x", ClientSecret: "y"})
	defer down.Close()
	if _, err := down.Token(ctx); !errors.Is(err, oauth4os.ErrNetwork) {
		t.Fatalf("no server: %v", err)
	}
}

func TestTheVerifierDiscoversTheProxysKeys(t *testing.T) {
	ctx := context.Background()
	c := agent(t, "go-agent", "read:go-logs-*")
	v := proxyVerifier(t, proxyURL(t), 0)
	if err := v.PrefetchKeys(ctx); err != nil {
		t.Fatal(err)
	}
	token, _ := c.AccessToken(ctx)
	claims, err := v.Verify(ctx, token)
	if err != nil || claims.ClientID != "go-agent" || claims.Iss != proxyURL(t) || claims.Scope != "read:go-logs-*" || !claims.ExpiresAt().After(time.Now()) {
		t.Fatalf("%+v %v", claims, err)
	}
	if cached, ok := v.Cached(token); !ok || cached.Jti != claims.Jti {
		t.Fatal("not cached")
	}
	elsewhere := proxyVerifier(t, "https://elsewhere", 0)
	if _, err := elsewhere.Verify(ctx, token); !errors.Is(err, oauth4os.ErrWrongAudience) {
		t.Fatalf("wrong audience: %v", err)
	}
	tampered := token[:len(token)-4] + map[bool]string{true: "BBBB", false: "AAAA"}[strings.HasSuffix(token, "AAAA")]
	if _, err := v.Verify(ctx, tampered); !errors.Is(err, oauth4os.ErrInvalidToken) {
		t.Fatalf("tampered: %v", err)
	}
}

func TestTokensOfTheExternalOpenIDProvider(t *testing.T) {
	seed(t)
	ctx := context.Background()
	idp, err := oauth4os.NewClient(oauth4os.ClientConfig{Issuer: idpURL(t), ClientID: "agent-a", ClientSecret: "secret-a",
		Scope: "read:go-logs-*", Resource: proxyURL(t), BaseURL: proxyURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	v, err := oauth4os.NewVerifier(oauth4os.VerifierConfig{Issuer: idpURL(t), Audiences: []string{proxyURL(t)}, RequiredTyp: "at+jwt"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	token, err := idp.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.Verify(ctx, token)
	if err != nil || claims.Iss != idpURL(t) || claims.ClientID != "agent-a" {
		t.Fatalf("%+v %v", claims, err)
	}
	// The proxy accepts it through its tenant and forwards the search.
	if answer, err := idp.Search(ctx, index, matchAll); err != nil || hits(t, answer) != 2 {
		t.Fatalf("%s %v", answer, err)
	}
	// RFC 8693: the provider's token exchanged for one of the proxy's.
	ex := agent(t, "go-exchanger", "read:go-logs-*")
	got, err := ex.Exchange(ctx, token, "", "read:go-logs-1", "")
	if err != nil || got.Scope != "read:go-logs-1" {
		t.Fatalf("%v %v", got, err)
	}
	wrong, _ := oauth4os.NewClient(oauth4os.ClientConfig{Issuer: idpURL(t), ClientID: "agent-a", ClientSecret: "nope"})
	defer wrong.Close()
	if _, err := wrong.Token(ctx); !errors.Is(err, oauth4os.ErrInvalidClient) {
		t.Fatalf("%v", err)
	}
}
