package oauth4os_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	oauth4os "example.invalid/oauth4os/sdks/go"
	"example.invalid/oauth4os/sdks/go/scopes"
)

// Replays core/conformance/vectors.json through the package: same results, same codes, same
// reasons, and records that keep every field.

// outcome is a vector's expectation for a call's result: {ok: true, <key>: value} or
// {ok: false, code, reason}; with key "" the value's own fields are merged in.
func outcome(t *testing.T, value any, err error, key string) map[string]any {
	t.Helper()
	if err != nil {
		var e *oauth4os.Error
		if !errors.As(err, &e) {
			t.Fatalf("not an *oauth4os.Error: %T %v", err, err)
		}
		return map[string]any{"ok": false, "code": e.Code, "reason": e.Reason}
	}
	// Through JSON, so that the Go record is what is compared (a dropped field fails).
	var v any
	if err := json.Unmarshal([]byte(mustJSON(t, value)), &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{"ok": true}
	if key == "" {
		for k, x := range v.(map[string]any) {
			out[k] = x
		}
	} else {
		out[key] = v
	}
	return out
}

func fixedVerifier(t testing.TB) *oauth4os.Verifier {
	t.Helper()
	v := vectors(t)
	var cfg oauth4os.VerifierConfig
	c := v["verifier"].(map[string]any)
	cfg.Issuer = c["issuer"].(string)
	for _, a := range c["audiences"].([]any) {
		cfg.Audiences = append(cfg.Audiences, a.(string))
	}
	for _, a := range c["algorithms"].([]any) {
		cfg.Algorithms = append(cfg.Algorithms, a.(string))
	}
	cfg.Leeway = time.Duration(c["leeway"].(float64)) * time.Second
	cfg.RequiredTyp = c["required_typ"].(string)
	ver, err := oauth4os.NewVerifierFromJWKS(mustJSON(t, v["jwks"]), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ver.Close() })
	return ver
}

func TestVerificationVectorsSyncAsyncAndFromTheCache(t *testing.T) {
	v := vectors(t)
	now := time.Unix(int64(v["now"].(float64)), 0)
	sync, async := fixedVerifier(t), fixedVerifier(t)
	cases, valid := 0, 0
	for _, c := range v["verification"].([]any) {
		c := c.(map[string]any)
		token, expect := c["token"].(string), c["expect"].(map[string]any)
		claims, err := sync.VerifySyncAt(token, now)
		if got := outcome(t, claims, err, "claims"); !reflect.DeepEqual(got, expect) {
			t.Errorf("%s: got %v, want %v", c["name"], got, expect)
		}
		claims, err = async.VerifyAt(context.Background(), token, now)
		if got := outcome(t, claims, err, "claims"); !reflect.DeepEqual(got, expect) {
			t.Errorf("%s (VerifyAt): got %v, want %v", c["name"], got, expect)
		}
		cachedClaims, ok := sync.CachedAt(token, now)
		if expect["ok"] == true {
			valid++
			if !ok || !reflect.DeepEqual(outcome(t, cachedClaims, nil, "claims"), expect) {
				t.Errorf("%s: not cached after a successful verification", c["name"])
			}
		} else if ok {
			t.Errorf("%s: a refused token was cached", c["name"])
		}
		cases++
	}
	if cases < 30 || valid < 5 {
		t.Fatalf("only %d verification vectors (%d valid)", cases, valid)
	}
}

func TestAVerifiedTokenIsRefusedOnceExpiredCachedOrNot(t *testing.T) {
	v := vectors(t)
	now := time.Unix(int64(v["now"].(float64)), 0)
	var token string
	for _, c := range v["verification"].([]any) {
		if c := c.(map[string]any); c["name"] == "valid_es256" {
			token = c["token"].(string)
		}
	}
	ver := fixedVerifier(t)
	claims, err := ver.VerifyAt(context.Background(), token, now)
	if err != nil {
		t.Fatal(err)
	}
	if claims.ClientID != "my-agent" || !reflect.DeepEqual(claims.Scopes(), []string{"read:logs-*"}) {
		t.Fatalf("claims %+v", claims)
	}
	leeway := int64(v["verifier"].(map[string]any)["leeway"].(float64))
	later := time.Unix(claims.Exp+leeway+1, 0)
	_, err = ver.VerifyAt(context.Background(), token, later)
	if !errors.Is(err, oauth4os.ErrExpired) || !errors.Is(err, oauth4os.ErrInvalidToken) || errors.Is(err, oauth4os.ErrRevoked) {
		t.Fatalf("expired: %v", err)
	}
	if _, ok := ver.CachedAt(token, later); ok {
		t.Fatal("an expired token still came from the cache")
	}
}

func TestScopeVectors(t *testing.T) {
	ops := map[string]func(c map[string]any) (any, error){
		"parse": func(c map[string]any) (any, error) { return scopes.Normalize(c["input"].(string)) },
		"allows": func(c map[string]any) (any, error) {
			return scopes.Allows(c["granted"].(string), c["action"].(string), c["target"].(string))
		},
		"covers": func(c map[string]any) (any, error) { return scopes.Covers(c["granted"].(string), c["scope"].(string)) },
		"is_within": func(c map[string]any) (any, error) {
			return scopes.IsWithin(c["scopes"].(string), c["ceiling"].(string))
		},
		"attenuate": func(c map[string]any) (any, error) {
			return scopes.Attenuate(c["requested"].(string), c["allowed"].(string))
		},
	}
	all := vectors(t)["scopes"].(map[string]any)
	total := 0
	for op, call := range ops {
		for _, c := range all[op].([]any) {
			c := c.(map[string]any)
			value, err := call(c)
			if got := outcome(t, value, err, "value"); !reflect.DeepEqual(got, c["expect"]) {
				t.Errorf("%s %v: got %v", op, c, got)
			}
			total++
		}
	}
	if total < 60 {
		t.Fatalf("only %d scope cases", total)
	}
	if p, _ := scopes.Parse("write:b read:a read:a"); !reflect.DeepEqual(p, []string{"read:a", "write:b"}) {
		t.Fatalf("Parse: %v", p)
	}
	if ok, err := scopes.Matches("logs-*", "logs-2026"); !ok || err != nil {
		t.Fatalf("Matches: %v %v", ok, err)
	}
}

func TestClassificationVectors(t *testing.T) {
	total := 0
	for _, c := range vectors(t)["classification"].([]any) {
		c := c.(map[string]any)
		var body []byte
		if b, _ := c["body"].(string); b != "" {
			body = []byte(b)
		}
		query, _ := c["query"].(string)
		got, err := oauth4os.Classify(c["method"].(string), c["path"].(string), query, body)
		if o := outcome(t, got, err, ""); !reflect.DeepEqual(o, c["expect"]) {
			t.Errorf("%s %s (%s): got %v, want %v", c["method"], c["path"], c["why"], o, c["expect"])
		}
		total++
	}
	if total < 90 {
		t.Fatalf("only %d classification cases", total)
	}
	c, err := oauth4os.Classify("GET", "/logs-1/_search", "", nil)
	if err != nil || c.Endpoint != "search" || c.Accesses[0].Action != "read" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := oauth4os.Classify("GET", "/logs%zz/_search", "", nil); !errors.Is(err, oauth4os.ErrInvalidRequest) {
		t.Fatalf("bad path: %v", err)
	}
}

func TestTheOfflineDecisionExplains(t *testing.T) {
	claims := `{"iss":"i","aud":["a"],"exp":1,"client_id":"bot","scope":"read:logs-*"}`
	d, err := oauth4os.Decide(claims, "GET", "/logs-1/_search", "", nil, "")
	if err != nil || !d.Allowed() || d.Accesses[0]["scope"] != "read:logs-*" || d.Scopes != "read:logs-*" || *d.Endpoint != "search" {
		t.Fatalf("%+v %v", d, err)
	}
	d, err = oauth4os.Decide(claims, "GET", "/metrics/_search", "", nil, "")
	if err != nil || d.Allowed() || d.Error == nil || d.Error.Scope != "read:metrics" || !errors.Is(d.Error, oauth4os.ErrInsufficientScope) {
		t.Fatalf("%+v %v", d, err)
	}
	if _, err := oauth4os.Decide(claims, "GET", "/", "", nil, `{"x.cedar":"nonsense"}`); !errors.Is(err, oauth4os.ErrConfig) {
		t.Fatalf("bad policy: %v", err)
	}
	if _, err := oauth4os.Decide("{}", "GET", "/", "", nil, ""); !errors.Is(err, oauth4os.ErrInvalidRequest) {
		t.Fatalf("bad claims: %v", err)
	}
}
