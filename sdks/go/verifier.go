package oauth4os

import (
	"context"
	"encoding/json"
	"runtime"
	"time"

	"example.invalid/oauth4os/sdks/go/internal/native"
)

// NoLeeway, as VerifierConfig.Leeway, allows no clock skew at all.
const NoLeeway = time.Duration(-1)

// VerifierConfig configures a Verifier for one issuer's access tokens.
type VerifierConfig struct {
	Issuer    string   // the `iss` tokens must have; its keys are discovered unless JWKSURI is set
	Audiences []string // `aud` must hold one of these
	// Algorithms allowed (default: RS256, PS256, ES256, EdDSA).
	Algorithms []string
	// Leeway is the clock skew allowed on exp/nbf/iat, whole seconds (0: the default; NoLeeway: none).
	Leeway time.Duration
	// RequiredTyp is the JWS `typ` tokens must have (`at+jwt`), or "".
	RequiredTyp string
	// JWKSURI is where the keys are, instead of discovery.
	JWKSURI string
	// CacheCapacity bounds the verified-token cache (0: the default).
	CacheCapacity int
}

// MarshalJSON writes the facade's verifier configuration.
func (c VerifierConfig) MarshalJSON() ([]byte, error) {
	m := map[string]any{"issuer": c.Issuer, "audiences": c.Audiences}
	if c.Audiences == nil {
		m["audiences"] = []string{}
	}
	if len(c.Algorithms) > 0 {
		m["algorithms"] = c.Algorithms
	}
	switch {
	case c.Leeway < 0:
		m["leeway"] = 0
	case c.Leeway > 0:
		m["leeway"] = int64(c.Leeway / time.Second)
	}
	if c.RequiredTyp != "" {
		m["required_typ"] = c.RequiredTyp
	}
	if c.JWKSURI != "" {
		m["jwks_uri"] = c.JWKSURI
	}
	if c.CacheCapacity != 0 {
		m["cache_capacity"] = c.CacheCapacity
	}
	return json.Marshal(m)
}

// Verifier verifies one issuer's access tokens (JWS RS256, PS256, ES256, EdDSA) and caches the
// verified ones. It is safe for concurrent use. Close frees it (a Verifier that is garbage
// collected unclosed is freed too).
type Verifier struct {
	n *native.Verifier
}

func wrapVerifier(n *native.Verifier, err error) (*Verifier, error) {
	if err != nil {
		return nil, err
	}
	v := &Verifier{n: n}
	runtime.AddCleanup(v, func(n *native.Verifier) { n.Close() }, n)
	return v, nil
}

// NewVerifier makes a verifier that discovers the issuer's JWKS (or fetches JWKSURI) when it
// first needs keys, and caches them.
func NewVerifier(config VerifierConfig) (*Verifier, error) {
	b, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	return wrapVerifier(native.NewVerifier(string(b)))
}

// NewVerifierFromJWKS makes a verifier over the keys of the JWKS document jwksJSON; it never
// does I/O.
func NewVerifierFromJWKS(jwksJSON string, config VerifierConfig) (*Verifier, error) {
	b, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	return wrapVerifier(native.VerifierFromJWKS(jwksJSON, string(b)))
}

// Close frees the verifier once the calls running on it return; later calls fail with
// ErrClosed. It is idempotent and never fails.
func (v *Verifier) Close() error {
	v.n.Close()
	return nil
}

func claimsOf(s string, err error) (*Claims, error) {
	if err != nil {
		return nil, err
	}
	return decodeClaims(s)
}

func unix(t time.Time) *int64 {
	n := t.Unix()
	return &n
}

// Verify returns the verified claims of token, fetching the issuer's keys when needed; a token
// verified before comes from the cache. ctx bounds the key fetch.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	return claimsOf(v.n.Verify(ctx, token, nil))
}

// VerifyAt is Verify as of now instead of the clock.
func (v *Verifier) VerifyAt(ctx context.Context, token string, now time.Time) (*Claims, error) {
	return claimsOf(v.n.Verify(ctx, token, unix(now)))
}

// VerifySync is Verify without waiting, for verifiers over fixed keys (NewVerifierFromJWKS);
// others fail with ErrNeedsFixedKeys.
func (v *Verifier) VerifySync(token string) (*Claims, error) {
	return claimsOf(v.n.VerifySync(token, nil))
}

// VerifySyncAt is VerifySync as of now.
func (v *Verifier) VerifySyncAt(token string, now time.Time) (*Claims, error) {
	return claimsOf(v.n.VerifySync(token, unix(now)))
}

// Cached returns the claims of an already verified, still valid token from the cache, without
// signature work; false when it is not there (or the verifier is closed).
func (v *Verifier) Cached(token string) (*Claims, bool) {
	return cached(v.n.Cached(token, nil))
}

// CachedAt is Cached as of now.
func (v *Verifier) CachedAt(token string, now time.Time) (*Claims, bool) {
	return cached(v.n.Cached(token, unix(now)))
}

func cached(s string, err error) (*Claims, bool) {
	if err != nil || s == "" {
		return nil, false
	}
	c, err := decodeClaims(s)
	return c, err == nil
}

// RevokeJTI forgets cached verifications of tokens with this `jti` (call it on revocation); it
// does nothing once the verifier is closed.
func (v *Verifier) RevokeJTI(jti string) { _ = v.n.RevokeJTI(jti) }

// PrefetchKeys fetches the issuer's keys now (at start-up, to fail early); nothing for fixed keys.
func (v *Verifier) PrefetchKeys(ctx context.Context) error { return v.n.PrefetchKeys(ctx) }
