package oauth4os

import (
	"context"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// TokenSource is the client as a golang.org/x/oauth2 TokenSource: each Token call returns the
// client's current token (cached and renewed by the client). oauth2.TokenSource takes no
// context, so a token request made through it is bounded only by the library's 30 s timeout;
// use Token(ctx) or Transport where a deadline matters.
func (c *Client) TokenSource() oauth2.TokenSource { return tokenSource{c} }

type tokenSource struct{ c *Client }

func (s tokenSource) Token() (*oauth2.Token, error) {
	t, err := s.c.Token(context.Background())
	if err != nil {
		return nil, err
	}
	out := &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken}
	if t.ExpiresIn > 0 {
		out.Expiry = time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
		out.ExpiresIn = t.ExpiresIn
	}
	return out, nil
}

// Transport is an http.RoundTripper that sends each request through base (nil:
// http.DefaultTransport) with the client's bearer token. When the answer is a 401 whose
// WWW-Authenticate says `invalid_token` (the token expired or was revoked meanwhile), it renews
// the token once and retries the request, if its body can be sent again (GetBody). The request's
// context bounds the token request too.
func (c *Client) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{c: c, base: base}
}

type transport struct {
	c    *Client
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	token, err := t.c.AccessToken(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base.RoundTrip(withBearer(req, token))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !invalidToken(resp) {
		return resp, err
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil // the body is spent: the caller sees the 401
	}
	fresh, err := t.c.RefreshStale(ctx, token)
	if err != nil {
		return resp, nil // the 401 is the better answer
	}
	retry := withBearer(req, fresh.AccessToken)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		retry.Body = body
	}
	resp.Body.Close()
	return t.base.RoundTrip(retry)
}

// withBearer is a copy of req with the Authorization header set (RoundTrippers must not
// change the caller's request).
func withBearer(req *http.Request, token string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func invalidToken(resp *http.Response) bool {
	for _, v := range resp.Header.Values("Www-Authenticate") {
		if strings.Contains(v, `error="invalid_token"`) {
			return true
		}
	}
	return false
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
