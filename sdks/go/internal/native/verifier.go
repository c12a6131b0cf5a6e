package native

/*
#include <stdlib.h>
#include "oauth4os.h"
*/
import "C"

import "context"

// Verifier is an oauth4os_verifier handle.
type Verifier struct {
	p *C.oauth4os_verifier
	h *Handle
}

func newVerifier(p *C.oauth4os_verifier) *Verifier {
	v := &Verifier{p: p}
	v.h = NewHandle(func() { C.oauth4os_verifier_free(p) })
	return v
}

// NewVerifier is oauth4os_verifier_new.
func NewVerifier(configJSON string) (*Verifier, error) {
	var p *C.oauth4os_verifier
	var e *C.oauth4os_error
	if rc := C.oauth4os_verifier_new(str(configJSON), &p, &e); rc != C.OAUTH4OS_OK {
		return nil, result(rc, e, context.Background())
	}
	return newVerifier(p), nil
}

// VerifierFromJWKS is oauth4os_verifier_from_jwks.
func VerifierFromJWKS(jwksJSON, configJSON string) (*Verifier, error) {
	var p *C.oauth4os_verifier
	var e *C.oauth4os_error
	if rc := C.oauth4os_verifier_from_jwks(str(jwksJSON), str(configJSON), &p, &e); rc != C.OAUTH4OS_OK {
		return nil, result(rc, e, context.Background())
	}
	return newVerifier(p), nil
}

// Close frees the handle after the calls running on it.
func (v *Verifier) Close() { v.h.Close() }

func (v *Verifier) with(call func(p *C.oauth4os_verifier) error) error {
	if !v.h.Acquire() {
		return ErrClosed
	}
	defer v.h.Release()
	return call(v.p)
}

// nowPtr is the ABI's optional `now`: nil for the clock.
func nowPtr(now *int64) *C.int64_t {
	if now == nil {
		return nil
	}
	n := C.int64_t(*now)
	return &n
}

// Verify is oauth4os_verifier_verify: JSON Claims.
func (v *Verifier) Verify(ctx context.Context, token string, now *int64) (string, error) {
	var out *C.char
	var e *C.oauth4os_error
	err := v.with(func(p *C.oauth4os_verifier) error {
		rc, err := cancellable(ctx, func(s *C.oauth4os_cancel) C.int32_t {
			return C.oauth4os_verifier_verify(p, s, str(token), nowPtr(now), &out, &e)
		})
		if err != nil {
			return err
		}
		return result(rc, e, ctx)
	})
	return goString(out), err
}

// VerifySync is oauth4os_verifier_verify_sync: JSON Claims.
func (v *Verifier) VerifySync(token string, now *int64) (string, error) {
	var out *C.char
	err := v.with(func(p *C.oauth4os_verifier) error {
		var e *C.oauth4os_error
		return result(C.oauth4os_verifier_verify_sync(p, str(token), nowPtr(now), &out, &e), e, context.Background())
	})
	return goString(out), err
}

// Cached is oauth4os_verifier_cached: JSON Claims, or "" when not cached.
func (v *Verifier) Cached(token string, now *int64) (string, error) {
	var out *C.char
	err := v.with(func(p *C.oauth4os_verifier) error {
		var e *C.oauth4os_error
		return result(C.oauth4os_verifier_cached(p, str(token), nowPtr(now), &out, &e), e, context.Background())
	})
	return goString(out), err
}

// RevokeJTI is oauth4os_verifier_revoke_jti.
func (v *Verifier) RevokeJTI(jti string) error {
	return v.with(func(p *C.oauth4os_verifier) error {
		var e *C.oauth4os_error
		return result(C.oauth4os_verifier_revoke_jti(p, str(jti), &e), e, context.Background())
	})
}

// PrefetchKeys is oauth4os_verifier_prefetch_keys.
func (v *Verifier) PrefetchKeys(ctx context.Context) error {
	return v.with(func(p *C.oauth4os_verifier) error {
		var e *C.oauth4os_error
		rc, err := cancellable(ctx, func(s *C.oauth4os_cancel) C.int32_t {
			return C.oauth4os_verifier_prefetch_keys(p, s, &e)
		})
		if err != nil {
			return err
		}
		return result(rc, e, ctx)
	})
}
