package oauth4os

import (
	"encoding/json"
	"strconv"
	"strings"
)

// decodeClaims reads the claims the library writes (serde_json's compact form of the core's
// Claims: known keys in order, `extra` last). Verification answers from the cache in about 2 µs,
// and encoding/json would take several times that to decode them, so the usual shape is read by
// hand; anything else (an escaped string, whitespace, an unknown key) goes to encoding/json.
func decodeClaims(s string) (*Claims, error) {
	if c, ok := fastClaims(s); ok {
		return c, nil
	}
	return decode[Claims](s)
}

type scan struct {
	s string
	i int
}

func (p *scan) lit(b byte) bool {
	if p.i < len(p.s) && p.s[p.i] == b {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes.
func (p *scan) str() (string, bool) {
	if !p.lit('"') {
		return "", false
	}
	end := strings.IndexByte(p.s[p.i:], '"')
	if end < 0 {
		return "", false
	}
	v := p.s[p.i : p.i+end]
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' || v[i] < 0x20 {
			return "", false
		}
	}
	p.i += end + 1
	return v, true
}

func (p *scan) int() (int64, bool) {
	start := p.i
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
	return n, err == nil
}

func (p *scan) strs() ([]string, bool) {
	if !p.lit('[') {
		return nil, false
	}
	out := []string{}
	if p.lit(']') {
		return out, true
	}
	for {
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if p.lit(']') {
			return out, true
		}
		if !p.lit(',') {
			return nil, false
		}
	}
}

func fastClaims(s string) (*Claims, bool) {
	var c Claims
	p := &scan{s: s}
	if !p.lit('{') {
		return nil, false
	}
	for {
		key, ok := p.str()
		if !ok || !p.lit(':') {
			return nil, false
		}
		switch key {
		case "iss":
			c.Iss, ok = p.str()
		case "sub":
			c.Sub, ok = p.str()
		case "jti":
			c.Jti, ok = p.str()
		case "client_id":
			c.ClientID, ok = p.str()
		case "scope":
			c.Scope, ok = p.str()
		case "tenant":
			c.Tenant, ok = p.str()
		case "exp":
			c.Exp, ok = p.int()
		case "nbf":
			c.Nbf, ok = p.int()
		case "iat":
			c.Iat, ok = p.int()
		case "aud":
			c.Aud, ok = p.strs()
		case "extra": // the last key: the rest up to the final brace is its object
			if len(s) < p.i+2 || s[len(s)-1] != '}' {
				return nil, false
			}
			if err := json.Unmarshal([]byte(s[p.i:len(s)-1]), &c.Extra); err != nil {
				return nil, false
			}
			return &c, c.Aud != nil
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
		if p.lit(',') {
			continue
		}
		return &c, p.lit('}') && p.i == len(s) && c.Aud != nil
	}
}
