package native

import (
	"errors"
	"sync/atomic"
)

// ErrClosed is returned by calls on a handle after Close.
var ErrClosed = errors.New("oauth4os: use of a closed handle")

// Handle counts the calls running on a native handle so that Close frees it only after the
// last one, and no call starts after Close. The state is 2 × running calls, plus 1 once closed.
type Handle struct {
	state atomic.Int64
	free  func()
}

// NewHandle tracks a live handle that free releases.
func NewHandle(free func()) *Handle { return &Handle{free: free} }

// Acquire registers a call; false after Close.
func (h *Handle) Acquire() bool {
	for {
		s := h.state.Load()
		if s&1 != 0 {
			return false
		}
		if h.state.CompareAndSwap(s, s+2) {
			return true
		}
	}
}

// Release ends a call; the last call after Close frees the handle.
func (h *Handle) Release() {
	if h.state.Add(-2) == 1 {
		h.free()
	}
}

// Close frees the handle now, or after the calls still running; later calls fail. Idempotent.
func (h *Handle) Close() {
	for {
		s := h.state.Load()
		if s&1 != 0 {
			return
		}
		if h.state.CompareAndSwap(s, s|1) {
			if s == 0 {
				h.free()
			}
			return
		}
	}
}
