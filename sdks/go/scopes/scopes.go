// Package scopes is the oauth4os scope grammar (`<action>:<index-pattern>`, e.g.
// `read:logs-*`) over space-separated scope strings. Invalid input is an *oauth4os.Error of
// code `invalid_scope` whose reason says why.
package scopes

import (
	"strings"

	_ "example.invalid/oauth4os/sdks/go" // sets how native errors become *oauth4os.Error
	"example.invalid/oauth4os/sdks/go/internal/native"
)

// Normalize is the normal form of a scope list: validated, deduplicated, sorted.
func Normalize(scopes string) (string, error) { return native.ScopesNormalize(scopes) }

// Parse is Normalize split at spaces.
func Parse(scopes string) ([]string, error) {
	s, err := Normalize(scopes)
	if err != nil {
		return nil, err
	}
	return strings.Fields(s), nil
}

// Allows reports whether granted allows action (`read`, `write`, `manage`, `monitor`, `admin`)
// on target, an index name or pattern.
func Allows(granted, action, target string) (bool, error) {
	return native.ScopesAllows(granted, action, target)
}

// Covers reports whether some scope of granted grants everything the single scope grants.
func Covers(granted, scope string) (bool, error) { return native.ScopesCovers(granted, scope) }

// IsWithin reports whether every scope of requested lies within ceiling.
func IsWithin(requested, ceiling string) (bool, error) {
	return native.ScopesIsWithin(requested, ceiling)
}

// Attenuate is what may be granted of requested under allowed (all of allowed when requested
// is empty); an error naming the first scope that exceeds it.
func Attenuate(requested, allowed string) (string, error) {
	return native.ScopesAttenuate(requested, allowed)
}

// Matches reports whether the index pattern (`logs-*`) matches the index name.
func Matches(pattern, index string) (bool, error) { return native.ScopesMatches(pattern, index) }
