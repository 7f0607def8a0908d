package taskexecutor

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// Bounds of what a work stream's receiving goroutine holds for the loop, the bytes as encoded
// (proto.Size; decoded, a message takes a few times that), besides the one message it has read
// and waits to hand on. The count keeps it
// reading while the loop waits in a Send, so that a manager slow to read does not stall its own
// sends; the bytes bound what that costs when a manager sends more than credits and results ask
// for: 1,024 messages of up to 4 MiB (grpc-go's receive limit) were 4 GiB.
const (
	inboxMessages = 1024
	inboxBytes    = 64 << 20
)

// workStream is a Work stream as the worker holds it.
type workStream = grpc.BidiStreamingClient[pb.WorkRequest, pb.WorkResponse]

// received is one outcome of a stream's Recv: a message, or the error that ended the stream.
type received struct {
	stream  workStream
	message *pb.WorkResponse
	err     error
	bytes   int64
}

// inbox is what the receiving goroutine of one stream has read and the loop has not yet taken:
// at most inboxMessages messages and inboxBytes bytes (a larger message waits until the inbox is
// empty, then goes in alone).
type inbox struct {
	messages chan received
	bytes    atomic.Int64
	// taken is signalled (without waiting) each time the loop takes a message.
	taken chan struct{}
}

func newInbox() *inbox {
	return &inbox{messages: make(chan received, inboxMessages), taken: make(chan struct{}, 1)}
}

// receive reads the stream with recv until it fails or ctx ends, handing each outcome to the loop
// while the inbox has room, and waiting for the loop to take some while it has none; stream is
// handed on with each, for the loop to tell the current stream's from an old one's.
func (in *inbox) receive(ctx context.Context, stream workStream, recv func() (*pb.WorkResponse, error)) {
	for {
		message, err := recv()
		size := int64(proto.Size(message))
		for in.bytes.Load() > 0 && in.bytes.Load()+size > inboxBytes {
			select {
			case <-in.taken:
			case <-ctx.Done():
				return
			}
		}
		in.bytes.Add(size)
		select {
		case in.messages <- received{stream, message, err, size}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// took says the loop took r from the inbox.
func (in *inbox) took(r received) {
	in.bytes.Add(-r.bytes)
	select {
	case in.taken <- struct{}{}:
	default:
	}
}
