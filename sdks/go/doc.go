// Package oauth4os is the Go SDK of oauth4os: scoped, revocable OAuth 2.0 access to OpenSearch
// for machines. It is a thin, idiomatic layer over the one Rust core that every oauth4os SDK
// shares, reached through its C ABI (bindings/c) with cgo; every rule (token caching and
// renewal, verification, scopes, request classification, the decision) lives in the core.
//
//   - Client acquires tokens and renews them before they expire, one token request for all
//     concurrent callers: Token, TokenSource (a golang.org/x/oauth2 TokenSource), Transport (an
//     http.RoundTripper for any HTTP client, such as opensearch-go's), Revoke, Request, Search.
//   - Verifier verifies access tokens against the issuer's keys, with a verified-token cache.
//   - Classify and Decide explain what an OpenSearch request does and whether a token may make it;
//     package scopes holds the scope grammar.
//
// Errors are *Error values with a stable Code and Reason; test them with errors.Is and the
// sentinels (ErrRevoked, ErrExpired, ... one per reason, and ErrInvalidToken, ... one per code).
// Methods that may wait on the network take a context.Context and return its error when it is
// done first. A Client or Verifier is safe for concurrent use; Close frees it.
//
// The native library is built from the repository with `go generate` (scripts/native.sh runs
// cargo); see README.md.
package oauth4os
