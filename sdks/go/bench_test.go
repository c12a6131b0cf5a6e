package oauth4os_test

import (
	"context"
	"crypto"
	"strconv"
	"testing"
	"time"

	oauth4os "example.invalid/oauth4os/sdks/go"
	"example.invalid/oauth4os/sdks/go/internal/native"
	"github.com/golang-jwt/jwt/v5"
)

// Verification through the SDK (one cgo crossing, the core's verifier and its cache, the claims
// as JSON into *Claims) against golang-jwt/jwt/v5 with a pre-parsed key, and the cost of one
// crossing. `go test -run '^$' -bench . -benchtime 2s` after `go generate` (release library);
// figures in BENCHMARKS.md.

func BenchmarkVerify(b *testing.B) {
	k := newInteropKeys(b)
	algs := []struct {
		name   string
		method jwt.SigningMethod
		key    crypto.PrivateKey
		pub    crypto.PublicKey
		kid    string
	}{
		{"ES256", jwt.SigningMethodES256, k.ec, &k.ec.PublicKey, "g-es"},
		{"RS256", jwt.SigningMethodRS256, k.rsa, &k.rsa.PublicKey, "g-rs"},
	}
	for _, a := range algs {
		tokens := make([]string, 1024)
		for i := range tokens {
			tokens[i] = sign(b, a.method, a.key, a.kid, "agent-"+strconv.Itoa(i), time.Hour)
		}
		ctx := context.Background()
		b.Run(a.name+"/cold/oauth4os", func(b *testing.B) {
			cfg := interopConfig()
			cfg.CacheCapacity = 1 // every token below is a miss: full verification
			v, err := oauth4os.NewVerifierFromJWKS(k.jwks, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			i := 0
			for b.Loop() {
				if _, err := v.Verify(ctx, tokens[i%len(tokens)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(a.name+"/cached/oauth4os", func(b *testing.B) {
			v, err := oauth4os.NewVerifierFromJWKS(k.jwks, interopConfig())
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			for b.Loop() {
				if _, err := v.Verify(ctx, tokens[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(a.name+"/cached/oauth4os-cancellable-ctx", func(b *testing.B) {
			v, err := oauth4os.NewVerifierFromJWKS(k.jwks, interopConfig())
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			for b.Loop() {
				if _, err := v.Verify(cctx, tokens[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(a.name+"/golang-jwt", func(b *testing.B) {
			keyfunc := func(*jwt.Token) (any, error) { return a.pub, nil }
			parser := jwt.NewParser(jwt.WithValidMethods([]string{a.name}), jwt.WithIssuer(interopIss),
				jwt.WithAudience(interopAud), jwt.WithExpirationRequired())
			i := 0
			for b.Loop() {
				if _, err := parser.Parse(tokens[i%len(tokens)], keyfunc); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// One call into the library that does nothing but read a counter.
func BenchmarkCgoCrossing(b *testing.B) {
	for b.Loop() {
		native.LiveHandles()
	}
}

// The cheapest call with a string in and a string out (a scope check).
func BenchmarkScopesAllows(b *testing.B) {
	for b.Loop() {
		if ok, err := oauth4osAllows(); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func oauth4osAllows() (bool, error) { return native.ScopesAllows("read:logs-*", "read", "logs-1") }
