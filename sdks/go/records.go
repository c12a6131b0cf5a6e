package oauth4os

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// TokenResponse is a token endpoint's answer (RFC 6749 §5.1). Its String method never shows
// the tokens.
type TokenResponse struct {
	AccessToken     string `json:"access_token"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in,omitempty"` // seconds; 0 when not given
	Scope           string `json:"scope,omitempty"`
	RefreshToken    string `json:"refresh_token,omitempty"`
	IssuedTokenType string `json:"issued_token_type,omitempty"` // RFC 8693
}

// String describes the token without its secret parts.
func (t TokenResponse) String() string {
	return fmt.Sprintf("TokenResponse{token_type: %s, expires_in: %d, scope: %q}", t.TokenType, t.ExpiresIn, t.Scope)
}

// GoString is String, so that %#v does not show the token either.
func (t TokenResponse) GoString() string { return t.String() }

// Claims are the verified claims of an access token.
type Claims struct {
	Iss      string         `json:"iss"`
	Sub      string         `json:"sub,omitempty"`
	Aud      []string       `json:"aud"`
	Exp      int64          `json:"exp"`
	Nbf      int64          `json:"nbf,omitempty"`
	Iat      int64          `json:"iat,omitempty"`
	Jti      string         `json:"jti,omitempty"`
	ClientID string         `json:"client_id,omitempty"`
	Scope    string         `json:"scope,omitempty"`
	Tenant   string         `json:"tenant,omitempty"`
	Extra    map[string]any `json:"extra,omitempty"` // every other claim
}

// ExpiresAt is the `exp` claim as a time.
func (c *Claims) ExpiresAt() time.Time { return time.Unix(c.Exp, 0) }

// Scopes is the `scope` claim split at spaces.
func (c *Claims) Scopes() []string { return strings.Fields(c.Scope) }

// ClientStats are a Client's counters.
type ClientStats struct {
	TokenRequests int64 `json:"token_requests"` // requests sent to the token endpoint
}

// Response is an answer of the proxy to Client.Request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Classified is what an OpenSearch request does: its endpoint and every access it needs.
type Classified struct {
	Endpoint string   `json:"endpoint"`
	Accesses []Access `json:"accesses"`
	// Pipelines and Continuations are present for requests that name ingest pipelines or
	// continue a scroll or point in time.
	Pipelines     json.RawMessage `json:"pipelines,omitempty"`
	Continuations json.RawMessage `json:"continuations,omitempty"`
}

// Access is one action on one resource: Resource is "cluster" or an object such as
// {"index": "logs-1"}.
type Access struct {
	Action   string `json:"action"`
	Resource any    `json:"resource"`
}

// Decision is the request decision and why.
type Decision struct {
	Decision string           `json:"decision"` // "allow" or "deny"
	Endpoint *string          `json:"endpoint"`
	Accesses []map[string]any `json:"accesses"`
	Policies []string         `json:"policies"`
	Scopes   string           `json:"scopes"`          // the token's scopes, normalized
	Error    *Error           `json:"error,omitempty"` // why it was denied
}

// Allowed reports whether the request is allowed.
func (d *Decision) Allowed() bool { return d.Decision == "allow" }
