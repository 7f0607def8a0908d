package taskexecutor

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pb "tasks-executor/sdk/go/taskexecutorv1"
)

func TestAStreamsInboxHoldsAtMostItsBytesForTheLoopAndReadsOnAsTheLoopTakes(t *testing.T) {
	// A manager sending 4 MiB leases the worker asked for none of, while the loop takes nothing:
	// 1,024 of them (4 GiB) were held.
	lease := &pb.WorkResponse{Kind: &pb.WorkResponse_Assignments{Assignments: &pb.Assignments{
		Tasks: []*pb.Assignment{{DataJson: strings.Repeat("x", 4<<20-64)}},
	}}}
	var reads atomic.Int32
	in := newInbox()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go in.receive(ctx, nil, func() (*pb.WorkResponse, error) {
		reads.Add(1)
		return lease, nil
	})
	// 64 MiB hold 16 of them; the 17th is read, and waits.
	waitFor(t, "17 reads", func() bool { return reads.Load() >= 17 })
	time.Sleep(100 * time.Millisecond)
	if n, held := reads.Load(), len(in.messages); n != 17 || held != 16 || in.bytes.Load() > inboxBytes {
		t.Fatalf("%d read, %d held (%d bytes): want 17 read, 16 held", n, held, in.bytes.Load())
	}
	in.took(<-in.messages)
	waitFor(t, "the 18th read", func() bool { return reads.Load() == 18 })
}

func TestAStreamsInboxTakesAMessageLargerThanItsBytesAlone(t *testing.T) {
	huge := &pb.WorkResponse{Kind: &pb.WorkResponse_Assignments{Assignments: &pb.Assignments{
		Tasks: []*pb.Assignment{{DataJson: strings.Repeat("x", inboxBytes)}},
	}}}
	in := newInbox()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go in.receive(ctx, nil, func() (*pb.WorkResponse, error) { return huge, nil })
	for range 2 {
		select {
		case r := <-in.messages:
			in.took(r)
		case <-time.After(10 * time.Second):
			t.Fatal("a message larger than the inbox's bytes never came")
		}
	}
}

// waitFor fails the test when check does not hold within ten seconds.
func waitFor(t *testing.T, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !check(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
	}
}
