package oauth4os_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's opensearch-go example compiles as written (it runs against `make demo`).
func TestTheReadmeExampleBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	readme := string(readFile(t, "sdks/go/README.md"))
	blocks := regexp.MustCompile("(?s)```go\n(package main\n.*?)```").FindStringSubmatch(readme)
	if blocks == nil {
		t.Fatal("no `package main` example in README.md")
	}
	sdk := filepath.Join(root(), "sdks", "go")
	dir, err := os.MkdirTemp(sdk, "_readme") // inside the module, outside ./...
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(blocks[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "example"), "./"+filepath.Base(dir))
	cmd.Dir = sdk
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README example does not build: %v\n%s", err, out)
	}
	if !strings.Contains(blocks[1], `"http://localhost:8443"`) {
		t.Fatal("the example no longer targets make demo's proxy")
	}
}
