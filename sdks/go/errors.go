package oauth4os

import (
	"encoding/json"
	"strings"
	"time"

	"example.invalid/oauth4os/sdks/go/internal/native"
)

// Error is an error of oauth4os: the core's error record. Code is the stable machine code
// (RFC 6749 §5.2 and RFC 6750 codes, plus `network`, `upstream`, `config`, `internal`, ...),
// Reason the finer-grained stable name (`revoked`, `expired`, ...). Neither it nor its message
// ever holds a token or a secret.
//
// Test for one with errors.Is and the sentinels (ErrRevoked for a reason, ErrInvalidToken for a
// whole code), or take it apart with errors.As.
type Error struct {
	Code    string // e.g. "invalid_token"
	Reason  string // e.g. "revoked"
	Message string // what went wrong, lowercase
	Help    string // extra advice, or ""
	// RetryAfter is how long to wait before retrying (rate_limited), or 0.
	RetryAfter time.Duration
	// Scope is the scope that would grant the request (insufficient_scope), or "".
	Scope string
}

// Error is "oauth4os: <code> (<reason>): <message>" and the help, if any.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oauth4os: ")
	b.WriteString(e.Code)
	if e.Reason != "" && e.Reason != e.Code {
		b.WriteString(" (" + e.Reason + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Help != "" {
		b.WriteString("; " + e.Help)
	}
	return b.String()
}

// Is reports whether target is a sentinel (or any *Error) that e matches: a target with a Reason
// matches errors of that reason, one with only a Code every error of that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t == nil {
		return false
	}
	if t.Reason != "" {
		return t.Reason == e.Reason && (t.Code == "" || t.Code == e.Code)
	}
	return t.Code != "" && t.Code == e.Code
}

// errorJSON is the wire form of an error record (a Decision's `error`).
type errorJSON struct {
	Code       string `json:"code"`
	Reason     string `json:"reason"`
	Message    string `json:"message"`
	Help       string `json:"help,omitempty"`
	RetryAfter int64  `json:"retry_after,omitempty"`
	Scope      string `json:"scope,omitempty"`
}

// UnmarshalJSON reads the core's error record (`retry_after` in seconds).
func (e *Error) UnmarshalJSON(b []byte) error {
	var w errorJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Error{Code: w.Code, Reason: w.Reason, Message: w.Message, Help: w.Help, Scope: w.Scope,
		RetryAfter: time.Duration(w.RetryAfter) * time.Second}
	return nil
}

// MarshalJSON writes the core's error record.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(errorJSON{Code: e.Code, Reason: e.Reason, Message: e.Message, Help: e.Help,
		Scope: e.Scope, RetryAfter: int64(e.RetryAfter / time.Second)})
}

// ErrClosed is returned by the methods of a Client or Verifier after Close.
var ErrClosed = native.ErrClosed

func init() {
	native.Wrap = func(f *native.Failure) error {
		e := &Error{Code: f.Code, Reason: f.Reason, Message: f.Message, Help: f.Help, Scope: f.Scope}
		if f.RetryAfter > 0 {
			e.RetryAfter = time.Duration(f.RetryAfter) * time.Second
		}
		return e
	}
}
