package oauth4os

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The hand-written reader of claims agrees with encoding/json, and hands anything unusual to it.
func TestFastClaimsAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range []string{
		`{"iss":"https://i","aud":["a"],"exp":1}`,
		`{"iss":"https://i","sub":"s","aud":["a","b"],"exp":1800000300,"nbf":-5,"iat":1799999990,"jti":"j-1","client_id":"c","scope":"read:logs-*","tenant":"t"}`,
		`{"iss":"https://i","aud":[],"exp":1,"extra":{"team":"blue","n":[1,{"x":null}]}}`,
		`{"iss":"ünïcode ✓","aud":["a"],"exp":1,"scope":"read:a write:b"}`,
		`{"iss":"quo\"te","aud":["a"],"exp":1}`,             // escaped: encoding/json
		`{"iss":"i","aud":["a"],"exp":1,"colour":"x"}`,      // unknown key: encoding/json
		`{"iss":"i", "aud":["a"],"exp":1}`,                  // whitespace: encoding/json
		`{"iss":"i","aud":["a"],"exp":1,"extra":{"a":"}"}}`, // a brace in a string
	} {
		want := new(Claims)
		if err := json.Unmarshal([]byte(s), want); err != nil {
			t.Fatal(err)
		}
		got, err := decodeClaims(s)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v (%v)\nwant %+v", s, got, err, want)
		}
	}
	for _, s := range []string{`{"iss":"quo\"te","aud":["a"],"exp":1}`, `{"iss":"i","aud":["a"],"exp":1,"colour":"x"}`, `{"iss":"i"`, `{"iss":"i","aud":["a"],"exp":1}x`, `{"exp":1e3,"aud":[]}`} {
		if _, ok := fastClaims(s); ok {
			t.Errorf("the fast path took %s", s)
		}
	}
}
