package oauth4os

import (
	"encoding/json"

	"example.invalid/oauth4os/sdks/go/internal/native"
)

//go:generate bash scripts/native.sh

// Version is the suite version the native library was built from, e.g. "0.1.0".
func Version() string { return native.Version() }

// ErrorCodes is every error code in wire form, in the core's order.
func ErrorCodes() []string { return native.ErrorCodes() }

// ErrorReasons is every error reason in wire form, in the core's order.
func ErrorReasons() []string { return native.ErrorReasons() }

// Classify tells what an OpenSearch request does: its endpoint and every access it needs.
// path is the raw (percent-encoded) path, query the raw query string without `?` ("" for none),
// body nil for none.
func Classify(method, path, query string, body []byte) (*Classified, error) {
	out, err := native.Classify(method, path, query, body)
	if err != nil {
		return nil, err
	}
	return decode[Classified](out)
}

// Decide is the request decision, offline: may a token with these verified claims (the JSON a
// Verifier returns) make this request under these Cedar policies (a JSON object of file name to
// policy text; "" for the built-in scope policy only)? It returns the decision and why.
func Decide(claimsJSON, method, path, query string, body []byte, policiesJSON string) (*Decision, error) {
	out, err := native.Decide(claimsJSON, method, path, query, body, policiesJSON)
	if err != nil {
		return nil, err
	}
	return decode[Decision](out)
}

// decode reads a record the library wrote.
func decode[T any](s string) (*T, error) {
	v := new(T)
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return nil, &Error{Code: "internal", Reason: "internal", Message: "the native library returned a record that does not parse: " + err.Error()}
	}
	return v, nil
}
