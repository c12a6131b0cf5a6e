package oauth4os_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	oauth4os "example.invalid/oauth4os/sdks/go"
	"example.invalid/oauth4os/sdks/go/internal/native"
	"example.invalid/oauth4os/sdks/go/scopes"
)

func TestSentinelsCoverEveryReasonAndCode(t *testing.T) {
	names := map[string]bool{}
	for _, c := range oauth4os.ErrorCodes() {
		names[c] = true
	}
	for _, r := range oauth4os.ErrorReasons() {
		names[r] = true
	}
	if len(oauth4os.ErrorCodes()) < 20 || len(oauth4os.ErrorReasons()) < 100 {
		t.Fatalf("codes %d, reasons %d", len(oauth4os.ErrorCodes()), len(oauth4os.ErrorReasons()))
	}
	got := oauth4os.SentinelNames()
	for n := range names {
		if _, ok := got[n]; !ok {
			t.Errorf("no sentinel for %q: run python3 sdks/go/scripts/reasons.py", n)
		}
	}
	for n := range got {
		if !names[n] {
			t.Errorf("sentinel for %q, which the core no longer has", n)
		}
	}
	// A reason sentinel matches only its reason, a code sentinel every reason of its code.
	revoked := &oauth4os.Error{Code: "invalid_token", Reason: "revoked", Message: "m"}
	for _, tc := range []struct {
		target error
		want   bool
	}{
		{oauth4os.ErrRevoked, true}, {oauth4os.ErrInvalidToken, true}, {oauth4os.ErrExpired, false},
		{oauth4os.ErrInvalidClient, false}, {errors.New("x"), false},
	} {
		if errors.Is(revoked, tc.target) != tc.want {
			t.Errorf("errors.Is(revoked, %v) != %v", tc.target, tc.want)
		}
	}
	generic := &oauth4os.Error{Code: "invalid_token", Reason: "invalid_token"}
	if !errors.Is(generic, oauth4os.ErrInvalidToken) || errors.Is(generic, oauth4os.ErrRevoked) {
		t.Error("a code's generic reason")
	}
	if s := revoked.Error(); s != "oauth4os: invalid_token (revoked): m" {
		t.Errorf("Error() = %q", s)
	}
}

func TestErrorsCarryCodeReasonAndHelp(t *testing.T) {
	_, err := oauth4os.NewClient(oauth4os.ClientConfig{ClientSecret: "hunter2", TokenEndpoint: "http://t"})
	var e *oauth4os.Error
	if !errors.As(err, &e) || e.Code != "config" || e.Reason != "missing_client_id" || !errors.Is(err, oauth4os.ErrMissingClientID) {
		t.Fatalf("%#v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatal("the error shows the secret")
	}
	v, err := oauth4os.NewVerifier(oauth4os.VerifierConfig{Issuer: "https://i", Audiences: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, err = v.VerifySync("a.b.c")
	if !errors.As(err, &e) || e.Reason != "needs_fixed_keys" || e.Help == "" {
		t.Fatalf("%#v", err)
	}
	if err := native.Panic(); !errors.Is(err, oauth4os.ErrInternal) || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("a panic: %v", err)
	}
}

func TestBadInputIsAnErrorNeverACrash(t *testing.T) {
	ver := fixedVerifier(t)
	for _, token := range []string{"", "a", "a.b", "a.b.c", "...", strings.Repeat("x", 1<<20), "\x00\x00.\xff.\xfe",
		"eyJhbGciOiJub25lIn0.e30.", string([]byte{0xff, 0xfe, 0xfd})} {
		if _, err := ver.VerifySync(token); !errors.Is(err, oauth4os.ErrInvalidToken) && !errors.Is(err, oauth4os.ErrInvalidRequest) {
			t.Errorf("%.20q: %v", token, err)
		}
	}
	for _, bad := range []oauth4os.VerifierConfig{{}, {Issuer: "https://i"}, {Issuer: "https://i", Audiences: []string{""}},
		{Issuer: "https://i", Audiences: []string{"a"}, Algorithms: []string{"none"}}} {
		if _, err := oauth4os.NewVerifier(bad); !errors.Is(err, oauth4os.ErrConfig) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := oauth4os.NewVerifierFromJWKS("{not json", oauth4os.VerifierConfig{Issuer: "https://i", Audiences: []string{"a"}}); !errors.Is(err, oauth4os.ErrBadJWKS) {
		t.Errorf("bad JWKS: %v", err)
	}
	for _, bad := range []oauth4os.ClientConfig{{}, {ClientID: "x"}, {ClientID: "x", Auth: "carrier-pigeon"}} {
		if _, err := oauth4os.NewClient(bad); !errors.Is(err, oauth4os.ErrConfig) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := scopes.Normalize("read:Logs\x00"); !errors.Is(err, oauth4os.ErrInvalidScope) {
		t.Errorf("scope: %v", err)
	}
	if _, err := scopes.Normalize(string([]byte{0xff})); !errors.Is(err, oauth4os.ErrInvalidRequest) {
		t.Errorf("not UTF-8: %v", err)
	}
	c, err := oauth4os.NewClient(oauth4os.ClientConfig{AccessToken: "fixed"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Search(context.Background(), "logs", "{nope"); !errors.Is(err, oauth4os.ErrBadQuery) {
		t.Errorf("bad query: %v", err)
	}
}

func TestUseAfterCloseIsErrClosed(t *testing.T) {
	base := native.LiveHandles()
	c, err := oauth4os.NewClient(oauth4os.ClientConfig{AccessToken: "fixed"})
	if err != nil {
		t.Fatal(err)
	}
	ver := fixedVerifier(t)
	if tok, err := c.AccessToken(context.Background()); err != nil || tok != "fixed" {
		t.Fatal(tok, err)
	}
	c.Close()
	c.Close()
	ver.Close()
	ctx := context.Background()
	if _, err := c.Token(ctx); !errors.Is(err, oauth4os.ErrClosed) {
		t.Errorf("Token: %v", err)
	}
	if err := c.Revoke(ctx); !errors.Is(err, oauth4os.ErrClosed) {
		t.Errorf("Revoke: %v", err)
	}
	if _, err := c.Request(ctx, "GET", "/", nil); !errors.Is(err, oauth4os.ErrClosed) {
		t.Errorf("Request: %v", err)
	}
	if _, err := c.TokenSource().Token(); !errors.Is(err, oauth4os.ErrClosed) {
		t.Errorf("TokenSource: %v", err)
	}
	c.Invalidate()
	if s := c.Stats(); s.TokenRequests != 0 {
		t.Errorf("Stats: %+v", s)
	}
	if _, err := ver.Verify(ctx, "a.b.c"); !errors.Is(err, oauth4os.ErrClosed) {
		t.Errorf("Verify: %v", err)
	}
	if _, ok := ver.Cached("a.b.c"); ok {
		t.Error("Cached after Close")
	}
	ver.RevokeJTI("j")
	if err := ver.PrefetchKeys(ctx); !errors.Is(err, oauth4os.ErrClosed) {
		t.Errorf("PrefetchKeys: %v", err)
	}
	if n := native.LiveHandles(); n != base {
		t.Errorf("%d handles live after Close, %d before", n, base)
	}
}

func TestCloseWhileCallsRunFreesAfterTheLast(t *testing.T) {
	ver := fixedVerifier(t)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				_, err := ver.VerifySync("a.b.c")
				if errors.Is(err, oauth4os.ErrClosed) {
					return
				}
				if !errors.Is(err, oauth4os.ErrInvalidToken) {
					t.Errorf("%v", err)
					return
				}
			}
		}()
	}
	time.Sleep(time.Millisecond)
	ver.Close()
	wg.Wait()
}

// blackhole accepts connections and never answers: a token request to it waits until cancelled.
func blackhole(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String()
}

func TestContextsAreHonoured(t *testing.T) {
	base := native.LiveHandles()
	url := blackhole(t)
	c, err := oauth4os.NewClient(oauth4os.ClientConfig{TokenEndpoint: url + "/oauth/token", ClientID: "x", ClientSecret: "y"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Already cancelled: nothing is sent.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	// A deadline while the request waits: the call returns at the deadline, not after the
	// library's 30 s timeout.
	start := time.Now()
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("returned after %v", d)
	}
	// Cancelled from another goroutine, several callers at once.
	ctx, cancel = context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.AccessToken(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("%v", err)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	wg.Wait()
	v, err := oauth4os.NewVerifier(oauth4os.VerifierConfig{Issuer: url, Audiences: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := v.PrefetchKeys(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("prefetch: %v", err)
	}
	c.Close()
	v.Close()
	if n := native.LiveHandles(); n != base {
		t.Errorf("handles: %d, before %d", n, base)
	}
}
