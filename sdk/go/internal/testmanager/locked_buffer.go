package testmanager

import (
	"bytes"
	"sync"
)

// LockedBuffer is a bytes.Buffer that one goroutine may read while others write to it: a started
// manager's output, copied by the process's goroutines while Start reads it, or a worker's log,
// written by the worker's goroutines while a test reads it. The zero value is empty and ready.
type LockedBuffer struct {
	mu     sync.Mutex
	buffer bytes.Buffer
}

// Write appends p whole: writes from goroutines side by side do not interleave.
func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.Write(p)
}

// String is what was written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.String()
}
