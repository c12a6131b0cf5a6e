package oauth4os_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	oauth4os "example.invalid/oauth4os/sdks/go"
	"example.invalid/oauth4os/sdks/go/scopes"
)

// A client of the proxy started by `make demo`: its token, then a search through the proxy.
func ExampleClient_Token() {
	client, err := oauth4os.NewClient(oauth4os.ClientConfig{
		Issuer:       "http://localhost:8443",
		ClientID:     "my-agent",
		ClientSecret: "secret",
		Scope:        "read:logs-*",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	token, err := client.Token(ctx) // cached and renewed before it expires
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(token.Scope)
}

// Any HTTP client authenticates through the proxy with Transport.
func ExampleClient_Transport() {
	client, err := oauth4os.NewClient(oauth4os.ClientConfig{
		Issuer: "http://localhost:8443", ClientID: "my-agent", ClientSecret: "secret", Scope: "read:logs-*",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	hc := &http.Client{Transport: client.Transport(nil)}
	resp, err := hc.Post("http://localhost:8443/logs-*/_search", "application/json",
		strings.NewReader(`{"query":{"match":{"level":"error"}}}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
}

// Revocation: the revoked token is refused with reason `revoked`.
func ExampleClient_Revoke() {
	client, err := oauth4os.NewClient(oauth4os.ClientConfig{
		Issuer: "http://localhost:8443", ClientID: "my-agent", ClientSecret: "secret", BaseURL: "http://localhost:8443",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	token, err := client.AccessToken(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Revoke(ctx); err != nil {
		log.Fatal(err)
	}
	old, _ := oauth4os.NewClient(oauth4os.ClientConfig{AccessToken: token, BaseURL: "http://localhost:8443"})
	defer old.Close()
	_, err = old.Search(ctx, "logs-app", `{"query":{"match_all":{}}}`)
	fmt.Println(errors.Is(err, oauth4os.ErrRevoked))
}

// Verifying tokens over fixed keys, as of a fixed time (here: the conformance vectors').
func ExampleVerifier_VerifySyncAt() {
	jwks := `{"keys":[{"kty":"EC","crv":"P-256","kid":"es-1","use":"sig","alg":"ES256",` +
		`"x":"HhhTL9R1TALzBB2cdc6zO4P_2BrHzk_ogsyxyYvFiW4","y":"pGwxHE4v9A3ZajZT5uRURdMt_khuztdcepDGoYiBwKM"}]}`
	verifier, err := oauth4os.NewVerifierFromJWKS(jwks, oauth4os.VerifierConfig{
		Issuer:    "https://idp.oauth4os.test",
		Audiences: []string{"https://proxy.oauth4os.test"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer verifier.Close()
	token := "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImVzLTEifQ." +
		"eyJpc3MiOiJodHRwczovL2lkcC5vYXV0aDRvcy50ZXN0Iiwic3ViIjoibXktYWdlbnQiLCJhdWQiOiJodHRwczovL3Byb3h5Lm9hdXRoNG9zLnRlc3QiLCJjbGllbnRfaWQiOiJteS1hZ2VudCIsInNjb3BlIjoicmVhZDpsb2dzLSoiLCJqdGkiOiJqLTEiLCJpYXQiOjE3OTk5OTk5OTAsImV4cCI6MTgwMDAwMDMwMH0." +
		"k_Su7oOlaeKO7xVzPO5Cw63CtT-oS1mnAKZ1zw5hXo97GJ_OI4-aBReOwGSfaQRACqosSoDMyqyYGAqSBPSplw"
	claims, err := verifier.VerifySyncAt(token, time.Unix(1800000000, 0))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.ClientID, claims.Scope)
	_, err = verifier.VerifySyncAt(token, time.Unix(1900000000, 0))
	fmt.Println(errors.Is(err, oauth4os.ErrExpired))
	// Output:
	// my-agent read:logs-*
	// true
}

// Verifying the proxy's tokens with its discovered keys.
func ExampleVerifier_Verify() {
	verifier, err := oauth4os.NewVerifier(oauth4os.VerifierConfig{
		Issuer:    "http://localhost:8443",
		Audiences: []string{"http://localhost:8443"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer verifier.Close()
	claims, err := verifier.Verify(context.Background(), os.Getenv("TOKEN"))
	switch {
	case errors.Is(err, oauth4os.ErrExpired):
		fmt.Println("expired")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println(claims.ClientID)
	}
}

func ExampleClassify() {
	c, err := oauth4os.Classify("POST", "/logs-2026/_search", "", []byte(`{"query":{"match_all":{}}}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Endpoint, c.Accesses[0].Action, c.Accesses[0].Resource)
	// Output: search read map[index:logs-2026]
}

func ExampleDecide() {
	claims := `{"iss":"https://idp","aud":["api"],"exp":1,"client_id":"bot","scope":"read:logs-*"}`
	d, err := oauth4os.Decide(claims, "GET", "/metrics/_search", "", nil, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Allowed(), d.Error.Reason, d.Error.Scope)
	// Output: false insufficient_scope read:metrics
}

func ExampleError() {
	_, err := scopes.Normalize("read:Logs")
	var e *oauth4os.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Reason)
	}
	fmt.Println(errors.Is(err, oauth4os.ErrInvalidScope), errors.Is(err, oauth4os.ErrInvalidPattern))
	// Output:
	// invalid_scope invalid_pattern
	// true true
}
