package oauth4os_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// What the tests share: the repository, the conformance vectors and the test peers.

// The suite's indices at the shared OpenSearch (the harness gives suite `go` the `go-*` ones).
const (
	index       = "go-logs-1"
	secretIndex = "go-secret-1"
	matchAll    = `{"query":{"match_all":{}}}`
)

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func readFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	vectorsOnce sync.Once
	vectorsV    map[string]any
)

func vectors(t testing.TB) map[string]any {
	vectorsOnce.Do(func() {
		if err := json.Unmarshal(readFile(t, "core/conformance/vectors.json"), &vectorsV); err != nil {
			t.Fatal(err)
		}
	})
	return vectorsV
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	peersOnce sync.Once
	peersEnv  map[string]string
)

// peers are the OAUTH4OS_TEST_* variables of .ci/harness/peers.sh, from the environment or the
// file OAUTH4OS_TEST_ENV names. Without peers the end-to-end tests are skipped, unless
// OAUTH4OS_REQUIRE_PEERS=1 (ci/test.sh) makes that a failure.
func peers(t testing.TB) map[string]string {
	t.Helper()
	peersOnce.Do(func() {
		peersEnv = map[string]string{}
		if f := os.Getenv("OAUTH4OS_TEST_ENV"); f != "" {
			if fh, err := os.Open(f); err == nil {
				s := bufio.NewScanner(fh)
				for s.Scan() {
					if k, v, ok := strings.Cut(s.Text(), "="); ok {
						peersEnv[k] = v
					}
				}
				fh.Close()
			}
		}
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "OAUTH4OS_TEST_") {
				peersEnv[k] = v
			}
		}
	})
	if peersEnv["OAUTH4OS_TEST_PROXY_URL"] == "" {
		if os.Getenv("OAUTH4OS_REQUIRE_PEERS") == "1" {
			t.Fatal("no test peers: run through `bash .ci/harness/peers.sh run -- ...`")
		}
		t.Skip("no test peers (OAUTH4OS_TEST_ENV); end-to-end test skipped")
	}
	return peersEnv
}

func proxyURL(t testing.TB) string      { return peers(t)["OAUTH4OS_TEST_PROXY_URL"] }
func idpURL(t testing.TB) string        { return peers(t)["OAUTH4OS_TEST_OIDC_ISSUER"] }
func secret(t testing.TB) string        { return peers(t)["OAUTH4OS_TEST_CLIENT_SECRET"] }
func opensearchURL(t testing.TB) string { return peers(t)["OAUTH4OS_TEST_OPENSEARCH_URL"] }

var httpClient = &http.Client{Timeout: 10 * time.Second}

func do(t testing.TB, method, url, body, contentType string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

var seedOnce sync.Once

// seed creates this suite's indices with a few documents, straight at OpenSearch.
func seed(t testing.TB) {
	t.Helper()
	os := opensearchURL(t)
	seedOnce.Do(func() {
		for _, ix := range []string{index, secretIndex} {
			do(t, "DELETE", os+"/"+ix, "", "")
			if st, body := do(t, "PUT", os+"/"+ix, `{"settings":{"number_of_shards":1,"number_of_replicas":0}}`, "application/json"); st != 200 {
				t.Fatalf("create %s: %d %s", ix, st, body)
			}
		}
		bulk := `{"index":{"_index":"` + index + `","_id":"1"}}` + "\n" + `{"level":"error","msg":"disk full"}` + "\n" +
			`{"index":{"_index":"` + index + `","_id":"2"}}` + "\n" + `{"level":"info","msg":"ok"}` + "\n" +
			`{"index":{"_index":"` + secretIndex + `","_id":"1"}}` + "\n" + `{"level":"info","msg":"the crown jewels"}` + "\n"
		if st, body := do(t, "POST", os+"/_bulk?refresh=true", bulk, "application/x-ndjson"); st != 200 || !strings.Contains(body, `"errors":false`) {
			t.Fatalf("bulk: %d %s", st, body)
		}
	})
}

// hits is hits.total.value of a search answer.
func hits(t testing.TB, answer []byte) int {
	t.Helper()
	var a struct {
		Hits struct {
			Total struct {
				Value int `json:"value"`
			} `json:"total"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		t.Fatalf("%v: %s", err, answer)
	}
	return a.Hits.Total.Value
}
