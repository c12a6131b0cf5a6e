package oauth4os_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	oauth4os "example.invalid/oauth4os/sdks/go"
	"example.invalid/oauth4os/sdks/go/internal/native"
	"github.com/golang-jwt/jwt/v5"
)

// together runs call in n goroutines released at once and returns their results.
func together[T any](n int, call func() (T, error)) ([]T, error) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	out := make([]T, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = call()
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func distinct(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func TestSixtyFourGoroutinesCauseOneTokenRequestPerRefresh(t *testing.T) {
	c := agent(t, "go-short", "read:go-logs-*")
	ctx := context.Background()
	first, err := together(64, func() (string, error) { return c.AccessToken(ctx) })
	if err != nil || len(distinct(first)) != 1 || c.Stats().TokenRequests != 1 {
		t.Fatalf("%v: %d tokens, %d requests", err, len(distinct(first)), c.Stats().TokenRequests)
	}
	time.Sleep(3500 * time.Millisecond) // the 3 s token has expired: the next callers renew it, once
	second, err := together(64, func() (string, error) { return c.AccessToken(ctx) })
	if err != nil || len(distinct(second)) != 1 || second[0] == first[0] || c.Stats().TokenRequests != 2 {
		t.Fatalf("%v: %d tokens, %d requests", err, len(distinct(second)), c.Stats().TokenRequests)
	}
	// Callers that all saw the same token refused renew it once, also through TokenSource and
	// with contexts that can be cancelled.
	stale := second[0]
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	third, err := together(64, func() (string, error) {
		t, err := c.RefreshStale(cctx, stale)
		if err != nil {
			return "", err
		}
		return t.AccessToken, nil
	})
	if err != nil || len(distinct(third)) != 1 || third[0] == stale || c.Stats().TokenRequests != 3 {
		t.Fatalf("%v: %d tokens, %d requests", err, len(distinct(third)), c.Stats().TokenRequests)
	}
	ts := c.TokenSource()
	if _, err := together(64, func() (string, error) { tok, err := ts.Token(); return tok.AccessToken, err }); err != nil || c.Stats().TokenRequests != 3 {
		t.Fatalf("%v: %d requests", err, c.Stats().TokenRequests)
	}
}

func rssKB(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n
		}
	}
	t.Skip("no VmRSS")
	return 0
}

func TestAHundredThousandVerifiesLeakNothing(t *testing.T) {
	k := newInteropKeys(t)
	tokens := make([]string, 2000)
	for i := range tokens {
		tokens[i] = sign(t, jwt.SigningMethodES256, k.ec, "g-es", "agent-"+strconv.Itoa(i), time.Hour)
	}
	cfg := interopConfig()
	cfg.CacheCapacity = 500 // most verifications miss the cache: signature work and evictions
	handles, buffers := native.LiveHandles(), native.LiveBuffers()
	v, err := oauth4os.NewVerifierFromJWKS(k.jwks, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	round := func(n int) {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range n / 8 {
					c, err := v.Verify(ctx, tokens[(g*7919+i)%len(tokens)])
					if err != nil || c.Sub == "" {
						t.Errorf("%v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	// Warm up (allocator arenas, the cache at capacity), then measure.
	round(20_000)
	runtime.GC()
	before := rssKB(t)
	round(100_000)
	runtime.GC()
	grown := rssKB(t) - before
	// A leak of even 100 bytes per verification would be ~10 MB.
	if grown > 8*1024 {
		t.Fatalf("resident memory grew by %d kB over 100,000 verifications", grown)
	}
	t.Logf("RSS grew by %d kB over 100,000 verifications", grown)
	if n := native.LiveBuffers(); n != buffers {
		t.Fatalf("%d buffers of the library not freed", n-buffers)
	}
	v.Close()
	if n := native.LiveHandles(); n != handles {
		t.Fatalf("%d handles live, %d before", n, handles)
	}
}

func TestUnclosedHandlesAreFreedByTheGarbageCollector(t *testing.T) {
	k := newInteropKeys(t)
	base := native.LiveHandles()
	for range 200 {
		if _, err := oauth4os.NewVerifierFromJWKS(k.jwks, interopConfig()); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100 && native.LiveHandles() > base; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := native.LiveHandles(); n != base {
		t.Fatalf("%d unreachable verifiers still live", n-base)
	}
}
