package native

/*
#include <stdlib.h>
#include "oauth4os.h"
*/
import "C"

import (
	"context"
	"unsafe"
)

// Client is an oauth4os_client handle.
type Client struct {
	p *C.oauth4os_client
	h *Handle
}

// NewClient is oauth4os_client_new.
func NewClient(configJSON string) (*Client, error) {
	var p *C.oauth4os_client
	var e *C.oauth4os_error
	if rc := C.oauth4os_client_new(str(configJSON), &p, &e); rc != C.OAUTH4OS_OK {
		return nil, result(rc, e, context.Background())
	}
	c := &Client{p: p}
	c.h = NewHandle(func() { C.oauth4os_client_free(p) })
	return c, nil
}

// Close frees the handle after the calls running on it.
func (c *Client) Close() { c.h.Close() }

// with runs call on the live handle, or returns ErrClosed.
func (c *Client) with(call func(p *C.oauth4os_client) error) error {
	if !c.h.Acquire() {
		return ErrClosed
	}
	defer c.h.Release()
	return call(c.p)
}

// jsonCall runs an async entry that writes a JSON string.
func (c *Client) jsonCall(ctx context.Context, call func(p *C.oauth4os_client, s *C.oauth4os_cancel, out **C.char, e **C.oauth4os_error) C.int32_t) (string, error) {
	var out *C.char
	var e *C.oauth4os_error
	err := c.with(func(p *C.oauth4os_client) error {
		rc, err := cancellable(ctx, func(s *C.oauth4os_cancel) C.int32_t { return call(p, s, &out, &e) })
		if err != nil {
			return err
		}
		return result(rc, e, ctx)
	})
	return goString(out), err
}

// Token is oauth4os_client_token: JSON TokenResponse.
func (c *Client) Token(ctx context.Context) (string, error) {
	return c.jsonCall(ctx, func(p *C.oauth4os_client, s *C.oauth4os_cancel, out **C.char, e **C.oauth4os_error) C.int32_t {
		return C.oauth4os_client_token(p, s, out, e)
	})
}

// AccessToken is oauth4os_client_access_token.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	return c.jsonCall(ctx, func(p *C.oauth4os_client, s *C.oauth4os_cancel, out **C.char, e **C.oauth4os_error) C.int32_t {
		return C.oauth4os_client_access_token(p, s, out, e)
	})
}

// Refresh is oauth4os_client_refresh ("" stale: none).
func (c *Client) Refresh(ctx context.Context, stale string) (string, error) {
	return c.jsonCall(ctx, func(p *C.oauth4os_client, s *C.oauth4os_cancel, out **C.char, e **C.oauth4os_error) C.int32_t {
		return C.oauth4os_client_refresh(p, s, opt(stale), out, e)
	})
}

// Invalidate is oauth4os_client_invalidate.
func (c *Client) Invalidate() error {
	return c.with(func(p *C.oauth4os_client) error {
		var e *C.oauth4os_error
		return result(C.oauth4os_client_invalidate(p, &e), e, context.Background())
	})
}

// Revoke is oauth4os_client_revoke ("" token: the client's own).
func (c *Client) Revoke(ctx context.Context, token string) error {
	return c.with(func(p *C.oauth4os_client) error {
		var e *C.oauth4os_error
		rc, err := cancellable(ctx, func(s *C.oauth4os_cancel) C.int32_t {
			return C.oauth4os_client_revoke(p, s, opt(token), &e)
		})
		if err != nil {
			return err
		}
		return result(rc, e, ctx)
	})
}

// Exchange is oauth4os_client_exchange ("" optional parameters: absent).
func (c *Client) Exchange(ctx context.Context, subject, subjectType, scope, resource string) (string, error) {
	return c.jsonCall(ctx, func(p *C.oauth4os_client, s *C.oauth4os_cancel, out **C.char, e **C.oauth4os_error) C.int32_t {
		return C.oauth4os_client_exchange(p, s, str(subject), opt(subjectType), opt(scope), opt(resource), out, e)
	})
}

// Search is oauth4os_client_search: the JSON answer.
func (c *Client) Search(ctx context.Context, index, queryJSON string) (string, error) {
	return c.jsonCall(ctx, func(p *C.oauth4os_client, s *C.oauth4os_cancel, out **C.char, e **C.oauth4os_error) C.int32_t {
		return C.oauth4os_client_search(p, s, str(index), str(queryJSON), out, e)
	})
}

// Stats is oauth4os_client_stats: JSON ClientStats.
func (c *Client) Stats() (string, error) {
	var out *C.char
	err := c.with(func(p *C.oauth4os_client) error {
		var e *C.oauth4os_error
		return result(C.oauth4os_client_stats(p, &out, &e), e, context.Background())
	})
	return goString(out), err
}

// Response is an answer of oauth4os_client_request.
type Response struct {
	Status      int
	HeadersJSON string
	Body        []byte
}

// Request is oauth4os_client_request.
func (c *Client) Request(ctx context.Context, method, path string, body []byte) (*Response, error) {
	var r *C.oauth4os_response
	var e *C.oauth4os_error
	err := c.with(func(p *C.oauth4os_client) error {
		rc, err := cancellable(ctx, func(s *C.oauth4os_cancel) C.int32_t {
			return C.oauth4os_client_request(p, s, str(method), str(path), bytes(body), &r, &e)
		})
		if err != nil {
			return err
		}
		return result(rc, e, ctx)
	})
	if err != nil || r == nil {
		return nil, err
	}
	defer C.oauth4os_free_response(r)
	out := &Response{Status: int(r.status), HeadersJSON: C.GoString(r.headers_json)}
	if r.body != nil {
		out.Body = C.GoBytes(unsafe.Pointer(r.body), C.int(r.body_len))
	}
	return out, nil
}
