package testmanager_test

import (
	"strings"
	"sync"
	"testing"

	"tasks-executor/sdk/go/internal/testmanager"
)

// A log written by many goroutines while the test reads it: every write is kept whole.
func TestALockedBufferKeepsEveryWriteWholeWhileItIsReadFromAnotherGoroutine(t *testing.T) {
	var buffer testmanager.LockedBuffer
	const writers, writes, line = 8, 20_000, "one line of a worker's log\n"
	var wrote sync.WaitGroup
	for range writers {
		wrote.Add(1)
		go func() {
			defer wrote.Done()
			for range writes {
				if n, err := buffer.Write([]byte(line)); n != len(line) || err != nil {
					t.Errorf("Write: %d, %v", n, err)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wrote.Wait()
		close(done)
	}()
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		if text := buffer.String(); strings.Count(text, line)*len(line) != len(text) {
			t.Fatalf("a read of %d bytes holds a write cut or mixed with another", len(text))
		}
	}
	if got := strings.Count(buffer.String(), line); got != writers*writes {
		t.Fatalf("%d writes kept, want %d", got, writers*writes)
	}
}
