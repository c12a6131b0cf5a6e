package oauth4os

import (
	"context"
	"encoding/json"
	"runtime"

	"example.invalid/oauth4os/sdks/go/internal/native"
)

// ClientConfig configures a Client: an OAuth client of the proxy (or of another issuer), or one
// fixed access token. Empty fields are left out.
type ClientConfig struct {
	// Issuer is discovered (RFC 8414) for its token and revocation endpoints; or give them.
	Issuer             string `json:"issuer,omitempty"`
	TokenEndpoint      string `json:"token_endpoint,omitempty"`
	RevocationEndpoint string `json:"revocation_endpoint,omitempty"`
	ClientID           string `json:"client_id,omitempty"`
	ClientSecret       string `json:"client_secret,omitempty"`
	// Scope is the space-separated scopes to ask for (`read:logs-*`).
	Scope string `json:"scope,omitempty"`
	// Resource is the RFC 8707 resource indicator (the proxy's URL for another issuer's tokens).
	Resource string `json:"resource,omitempty"`
	// Auth is how the client authenticates: "basic" (the default) or "post".
	Auth string `json:"auth,omitempty"`
	// BaseURL is the proxy, for Request and Search.
	BaseURL string `json:"base_url,omitempty"`
	// AccessToken is a fixed token to use instead of a client (never refreshed).
	AccessToken string `json:"access_token,omitempty"`
}

// Client acquires tokens for one OAuth client and renews them before they expire; concurrent
// callers share one token request. It is safe for concurrent use. Close frees it (a Client that
// is garbage collected unclosed is freed too).
type Client struct {
	n *native.Client
}

// NewClient makes a client; a bad field is an error of code `config` that names it and never
// echoes its value.
func NewClient(config ClientConfig) (*Client, error) {
	b, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	n, err := native.NewClient(string(b))
	if err != nil {
		return nil, err
	}
	c := &Client{n: n}
	runtime.AddCleanup(c, func(n *native.Client) { n.Close() }, n)
	return c, nil
}

// Close frees the client once the calls running on it return; later calls fail with ErrClosed.
// It is idempotent and never fails.
func (c *Client) Close() error {
	c.n.Close()
	return nil
}

func tokenOf(s string, err error) (*TokenResponse, error) {
	if err != nil {
		return nil, err
	}
	return decode[TokenResponse](s)
}

// Token is a valid token: the cached one, or one acquired (or renewed, before the cached one
// expires) once for every concurrent caller. ctx bounds the wait.
func (c *Client) Token(ctx context.Context) (*TokenResponse, error) {
	return tokenOf(c.n.Token(ctx))
}

// AccessToken is the access token string of Token.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	return c.n.AccessToken(ctx)
}

// Refresh drops the cached token and acquires a new one (shared with concurrent callers).
func (c *Client) Refresh(ctx context.Context) (*TokenResponse, error) {
	return tokenOf(c.n.Refresh(ctx, ""))
}

// RefreshStale acquires a new token unless the cached one was already replaced since stale was
// handed out: callers that saw the same token refused renew it once.
func (c *Client) RefreshStale(ctx context.Context, stale string) (*TokenResponse, error) {
	return tokenOf(c.n.Refresh(ctx, stale))
}

// Invalidate forgets the cached token (nothing once the client is closed).
func (c *Client) Invalidate() { _ = c.n.Invalidate() }

// Revoke revokes this client's current tokens (RFC 7009) and forgets them; the next call
// acquires a new one.
func (c *Client) Revoke(ctx context.Context) error { return c.n.Revoke(ctx, "") }

// RevokeToken revokes token (RFC 7009).
func (c *Client) RevokeToken(ctx context.Context, token string) error {
	return c.n.Revoke(ctx, token)
}

// Exchange is an RFC 8693 token exchange of subjectToken for a token of this client; it is not
// cached. subjectTokenType ("" for an access token), scope and resource are optional.
func (c *Client) Exchange(ctx context.Context, subjectToken, subjectTokenType, scope, resource string) (*TokenResponse, error) {
	return tokenOf(c.n.Exchange(ctx, subjectToken, subjectTokenType, scope, resource))
}

// Request sends `method path` to the proxy (BaseURL) with the bearer token, refreshing and
// retrying once after a 401. 401, 403 and 429 answers are errors (ErrInvalidToken,
// ErrInsufficientScope, ErrRateLimited), 5xx is ErrUpstream; other answers are returned.
func (c *Client) Request(ctx context.Context, method, path string, body []byte) (*Response, error) {
	r, err := c.n.Request(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	var pairs [][2]string
	if err := json.Unmarshal([]byte(r.HeadersJSON), &pairs); err != nil {
		return nil, &Error{Code: "internal", Reason: "internal", Message: "the native library returned headers that do not parse"}
	}
	out := &Response{Status: r.Status, Header: make(map[string][]string, len(pairs)), Body: r.Body}
	for _, p := range pairs {
		out.Header.Add(p[0], p[1])
	}
	return out, nil
}

// Search sends `POST /<index>/_search` with the JSON queryJSON and returns the JSON answer.
func (c *Client) Search(ctx context.Context, index, queryJSON string) (json.RawMessage, error) {
	s, err := c.n.Search(ctx, index, queryJSON)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(s), nil
}

// Stats are the client's counters (zero after Close); never nil.
func (c *Client) Stats() *ClientStats {
	s, err := c.n.Stats()
	if err != nil {
		return &ClientStats{}
	}
	st, err := decode[ClientStats](s)
	if err != nil {
		return &ClientStats{}
	}
	return st
}
