package scopes_test

import (
	"fmt"

	"example.invalid/oauth4os/sdks/go/scopes"
)

func ExampleNormalize() {
	s, _ := scopes.Normalize("write:metrics-* read:logs-* read:logs-*")
	fmt.Println(s)
	// Output: read:logs-* write:metrics-*
}

func ExampleAllows() {
	ok, _ := scopes.Allows("read:logs-*", "read", "logs-2026")
	no, _ := scopes.Allows("read:logs-*", "write", "logs-2026")
	fmt.Println(ok, no)
	// Output: true false
}

func ExampleAttenuate() {
	granted, _ := scopes.Attenuate("read:logs-app", "read:logs-*")
	_, err := scopes.Attenuate("admin:*", "read:logs-*")
	fmt.Println(granted, err != nil)
	// Output: read:logs-app true
}
