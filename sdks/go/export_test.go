package oauth4os

// SentinelNames exposes the sentinel table to the tests.
func SentinelNames() map[string]*Error { return sentinels }
