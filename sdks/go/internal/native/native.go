// Package native is the one place the Go SDK calls the C ABI of oauth4os (bindings/c, header
// bindings/c/include/oauth4os.h) through cgo. It converts Go values to the ABI's lent views and
// back, frees everything the library hands out, turns an oauth4os_error into a *Failure, ties a
// context to the ABI's cancellation signal, and counts the calls on each handle so that a
// handle is freed only after its last call (see Handle).
//
// The library is the static liboauth4os.a that scripts/native.sh (go generate) builds and
// stages under sdks/go/lib/<GOOS>_<GOARCH>/.
package native

/*
#cgo CFLAGS: -I${SRCDIR}/../../../../bindings/c/include
#cgo linux,amd64 LDFLAGS: -L${SRCDIR}/../../lib/linux_amd64
#cgo linux,arm64 LDFLAGS: -L${SRCDIR}/../../lib/linux_arm64
#cgo darwin,amd64 LDFLAGS: -L${SRCDIR}/../../lib/darwin_amd64
#cgo darwin,arm64 LDFLAGS: -L${SRCDIR}/../../lib/darwin_arm64
#cgo LDFLAGS: -loauth4os
#cgo linux LDFLAGS: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo darwin LDFLAGS: -framework Security -framework CoreFoundation -framework SystemConfiguration -liconv -lm -lc
#include <stdlib.h>
#include "oauth4os.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"unsafe"
)

// Failure is an error the library reported: the facade's error record.
type Failure struct {
	Code, Reason, Message, Help, Scope string
	RetryAfter                         int64 // seconds; -1 when absent
}

// Wrap turns a Failure into the error the package returns; the root package sets it at init.
var Wrap = func(f *Failure) error { return f }

func (f *Failure) Error() string { return f.Code + ": " + f.Message }

func str(s string) C.oauth4os_str {
	return C.oauth4os_str{ptr: (*C.char)(unsafe.Pointer(unsafe.StringData(s))), len: C.size_t(len(s))}
}

// opt is an optional string: "" is absent.
func opt(s string) C.oauth4os_str {
	if s == "" {
		return C.oauth4os_str{}
	}
	return str(s)
}

// bytes is optional bytes: nil is absent.
func bytes(b []byte) C.oauth4os_bytes {
	if b == nil {
		return C.oauth4os_bytes{}
	}
	return C.oauth4os_bytes{ptr: (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b))), len: C.size_t(len(b))}
}

func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.oauth4os_free_string(p)
	return s
}

func failure(e *C.oauth4os_error) error {
	if e == nil {
		return Wrap(&Failure{Code: "internal", Reason: "internal", Message: "the native call failed without an error record", RetryAfter: -1})
	}
	f := &Failure{
		Code:       C.GoString(e.code),
		Reason:     C.GoString(e.reason),
		Message:    C.GoString(e.message),
		RetryAfter: int64(e.retry_after),
	}
	if e.help != nil {
		f.Help = C.GoString(e.help)
	}
	if e.scope != nil {
		f.Scope = C.GoString(e.scope)
	}
	C.oauth4os_free_error(e)
	return Wrap(f)
}

// result is the error of a call's status (nil for OAUTH4OS_OK).
func result(rc C.int32_t, e *C.oauth4os_error, ctx context.Context) error {
	switch rc {
	case C.OAUTH4OS_OK:
		return nil
	case C.OAUTH4OS_CANCELLED:
		if err := ctx.Err(); err != nil {
			return err
		}
		return context.Canceled
	default:
		return failure(e)
	}
}

// cancellable runs call with a cancellation signal that fires when ctx is done (none for a
// context that is never done). A context already done is its error before any call.
func cancellable(ctx context.Context, call func(*C.oauth4os_cancel) C.int32_t) (C.int32_t, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if ctx.Done() == nil {
		return call(nil), nil
	}
	signal := C.oauth4os_cancel_new()
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		C.oauth4os_cancel_trigger(signal)
		close(fired)
	})
	rc := call(signal)
	if !stop() {
		<-fired // the trigger is running or ran: free the signal only after it
	}
	C.oauth4os_cancel_free(signal)
	return rc, nil
}

// Version is the library's suite version.
func Version() string { return goString(C.oauth4os_version()) }

// ErrorCodes is every error code, in the core's order.
func ErrorCodes() []string { return stringList(C.oauth4os_error_codes()) }

// ErrorReasons is every error reason, in the core's order.
func ErrorReasons() []string { return stringList(C.oauth4os_error_reasons()) }

func stringList(p *C.char) []string {
	var out []string
	_ = json.Unmarshal([]byte(goString(p)), &out)
	return out
}

// Classify is oauth4os_classify: JSON `{endpoint, accesses}`.
func Classify(method, path, query string, body []byte) (string, error) {
	var out *C.char
	var e *C.oauth4os_error
	rc := C.oauth4os_classify(str(method), str(path), opt(query), bytes(body), &out, &e)
	return goString(out), result(rc, e, context.Background())
}

// Decide is oauth4os_decide: JSON `{decision, endpoint, accesses, policies, scopes, error?}`.
func Decide(claimsJSON, method, path, query string, body []byte, policiesJSON string) (string, error) {
	var out *C.char
	var e *C.oauth4os_error
	rc := C.oauth4os_decide(str(claimsJSON), str(method), str(path), opt(query), bytes(body), opt(policiesJSON), &out, &e)
	return goString(out), result(rc, e, context.Background())
}

// ScopesNormalize is oauth4os_scopes_normalize.
func ScopesNormalize(scopes string) (string, error) {
	var out *C.char
	var e *C.oauth4os_error
	rc := C.oauth4os_scopes_normalize(str(scopes), &out, &e)
	return goString(out), result(rc, e, context.Background())
}

// ScopesAllows is oauth4os_scopes_allows.
func ScopesAllows(granted, action, target string) (bool, error) {
	var out C.bool
	var e *C.oauth4os_error
	rc := C.oauth4os_scopes_allows(str(granted), str(action), str(target), &out, &e)
	return bool(out), result(rc, e, context.Background())
}

// ScopesCovers is oauth4os_scopes_covers.
func ScopesCovers(granted, scope string) (bool, error) {
	var out C.bool
	var e *C.oauth4os_error
	rc := C.oauth4os_scopes_covers(str(granted), str(scope), &out, &e)
	return bool(out), result(rc, e, context.Background())
}

// ScopesIsWithin is oauth4os_scopes_is_within.
func ScopesIsWithin(requested, ceiling string) (bool, error) {
	var out C.bool
	var e *C.oauth4os_error
	rc := C.oauth4os_scopes_is_within(str(requested), str(ceiling), &out, &e)
	return bool(out), result(rc, e, context.Background())
}

// ScopesAttenuate is oauth4os_scopes_attenuate.
func ScopesAttenuate(requested, allowed string) (string, error) {
	var out *C.char
	var e *C.oauth4os_error
	rc := C.oauth4os_scopes_attenuate(str(requested), str(allowed), &out, &e)
	return goString(out), result(rc, e, context.Background())
}

// ScopesMatches is oauth4os_scopes_matches.
func ScopesMatches(pattern, index string) (bool, error) {
	var out C.bool
	var e *C.oauth4os_error
	rc := C.oauth4os_scopes_matches(str(pattern), str(index), &out, &e)
	return bool(out), result(rc, e, context.Background())
}

// LiveHandles is how many clients, verifiers and cancellation signals are live (tests).
func LiveHandles() int64 { return int64(C.oauth4os_test_live_handles()) }

// LiveBuffers is how many strings, errors and responses the library handed out and were not
// freed yet (tests).
func LiveBuffers() int64 { return int64(C.oauth4os_test_live_buffers()) }

// Panic makes the library panic inside a call (tests): the result must be an internal error.
func Panic() error {
	var e *C.oauth4os_error
	rc := C.oauth4os_test_panic(&e)
	return result(rc, e, context.Background())
}
