package taskexecutor

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// produceRequestsInFlight is how many requests one Produce stream may have open (not answered
// done): the manager ends a stream that holds one more, so a request past it goes as its own call.
const produceRequestsInFlight = 1000

// defaultMaxRequestBytes is the manager's default MAX_REQUEST_BYTES (Connection.MaxRequestBytes):
// a larger request on the stream would end it for every request on it, so one goes as its own
// call, where the manager's limit refuses it alone.
const defaultMaxRequestBytes = 4 << 20

// produceIdle is how long a stream with nothing open on it stays open: a stream holds its
// connection's place on the manager, so a client that stopped producing gives it back, and its next
// request opens a new stream.
const produceIdle = 5 * time.Second

// produceNotRunMetadataKey is the trailer (value "true") of a stream a stopping manager ended:
// the requests it had not answered were not run (PRODUCE_NOT_RUN_METADATA_KEY of the protocol).
const produceNotRunMetadataKey = "tasks-executor-not-run"

// errOwnCall says a request goes as its own call: the manager does not serve Produce or this kind
// of request (an older version: nothing ran), or the request is one the stream does not carry
// (too large, other metadata than trace context, too many open).
var errOwnCall = errors.New("taskexecutor: the request goes as its own call")

// produceKind is what one request on the stream is, by the call it stands for.
type produceKind int

const (
	kindCreate         produceKind = iota // CreateTask
	kindCreateAndWatch                    // CreateAndWatchTask
	kindWatch                             // WatchTasks
	produceKinds
)

// producer is a Client's producer stream (TaskExecutorManagerService/Produce): its creates, creates
// that wait and waits travel as messages on one stream kept open on the connection instead of a
// new call each (a message on an open stream reaches the manager several times sooner than a new
// call). Each request has an id; the manager answers each id with tasks, or with the status its own
// call would have had, and says done on its last answer. Every wait of a caller is bounded by its
// ctx: the stream is opened and written by goroutines of its own.
type producer struct {
	manager pb.TaskExecutorManagerServiceClient
	// maxRequestBytes: the largest request (its message) sent on the stream.
	maxRequestBytes int

	mu          sync.Mutex
	stream      *produceStream // nil until the next request opens one
	lastID      uint32
	unsupported [produceKinds]bool
	closed      bool
}

// produceStream is one Produce stream and the requests open on it.
type produceStream struct {
	cancel context.CancelFunc
	// opened is closed once call is set, or the stream could not be opened (ended then).
	opened chan struct{}
	call   pb.TaskExecutorManagerService_ProduceClient
	// writes holds the messages to send, in order (a nil message ends the client's side); one
	// goroutine sends them, so a send held up by flow control holds up no caller past its ctx.
	writes  chan outgoing
	pending map[uint32]*produceRequest // under producer.mu
	idle    *time.Timer                // under producer.mu
	// closedByClient: Client.Close ended it (under producer.mu).
	closedByClient bool
	// ended is closed once the stream is over; err then says why, served whether a request not
	// answered may have run: the manager had sent its headers (a status before them means nothing
	// ran), and its status's trailer did not say that nothing unanswered was run.
	ended  chan struct{}
	once   sync.Once
	err    error
	served bool
}

// produceRequest is one request registered and not answered done yet.
type produceRequest struct {
	// answers holds every answer the request can get, so that the stream's reader never waits.
	answers chan *pb.ProduceResponse
	// handed: the writer has handed it to the stream (before that, the manager cannot have it).
	handed atomic.Bool
}

// outgoing is one message queued for the stream's writer: a request's (a *grpc.PreparedMsg), a
// cancel (a *pb.ProduceRequest; request nil), or nil to end the client's side.
type outgoing struct {
	message any
	request *produceRequest
}

// send sends one request of kind on the stream and calls onTask with each task answered, until
// the request's last answer. A wait ended by ctx is cancelled on the manager; a create it is making
// is made all the same.
//
// It returns errOwnCall when the request must go as its own call, the request's own call's status
// when the manager refused it (or refused the stream as it opened: nothing ran), INTERNAL when it
// cannot be encoded (none the Client makes: its text and ctx's trace context, checkTrace, are
// checked before), ctx's status when ctx ended first, CANCELLED when the Client was closed, and
// UNAVAILABLE when the stream ended before the request's last answer (a create may have been
// made; one the stream ended before it was sent goes as its own call).
func (p *producer) send(ctx context.Context, kind produceKind, request *pb.ProduceRequest, maxAnswers int, onTask func(*pb.Task)) error {
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	if !carryTrace(ctx, request) {
		return errOwnCall
	}
	s, id, r, err := p.open(kind, maxAnswers)
	if err != nil {
		return err
	}
	request.RequestId = id
	select {
	case <-s.opened:
	case <-ctx.Done():
		p.forget(s, id)
		return status.FromContextError(ctx.Err()).Err()
	}
	if s.call == nil { // it could not be opened (and has ended)
		<-s.ended
		return p.endedError(s, kind, r)
	}
	// Encoded here, id included, so that a request the stream cannot carry fails alone (and the
	// caller's values are not read once it has returned).
	if proto.Size(request) > p.maxRequestBytes {
		p.forget(s, id)
		return errOwnCall
	}
	prepared := &grpc.PreparedMsg{}
	if err := prepared.Encode(s.call, request); err != nil {
		p.forget(s, id)
		return status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err)
	}
	select {
	case s.writes <- outgoing{message: prepared, request: r}:
	case <-s.ended:
		return p.endedError(s, kind, r)
	case <-ctx.Done():
		p.forget(s, id)
		return status.FromContextError(ctx.Err()).Err()
	}
	for {
		select {
		case answer := <-r.answers:
			if done, err := p.take(kind, answer, onTask); done {
				return err
			}
		case <-s.ended:
			// Answers that came before the end first.
			for {
				select {
				case answer := <-r.answers:
					if done, err := p.take(kind, answer, onTask); done {
						return err
					}
					continue
				default:
				}
				return p.endedError(s, kind, r)
			}
		case <-ctx.Done():
			if kind != kindCreate {
				// The manager stops the wait (unless the stream is stuck: it then ends with it).
				select {
				case s.writes <- outgoing{message: &pb.ProduceRequest{RequestId: id, Kind: &pb.ProduceRequest_Cancel{Cancel: &pb.ProduceCancel{}}}}:
				default:
				}
			}
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// carryTrace puts the W3C trace context of ctx's outgoing metadata (`traceparent`, `tracestate`,
// as checkTrace leaves them) in request as the manager reads it from a call of its own: the first
// traceparent, and every tracestate joined with commas (W3C's one list in many headers); false
// when ctx carries other metadata, which only a call of its own can send.
func carryTrace(ctx context.Context, request *pb.ProduceRequest) bool {
	md, _ := metadata.FromOutgoingContext(ctx)
	for key, values := range md {
		switch {
		case len(values) == 0:
		case key == "traceparent":
			request.Traceparent = values[0]
		case key == "tracestate":
			request.Tracestate = strings.Join(values, ",")
		default:
			return false
		}
	}
	return true
}

// open returns the stream (started when there is none), a fresh id on it and the request
// registered under it; errOwnCall when the request must go as its own call.
func (p *producer) open(kind produceKind, maxAnswers int) (*produceStream, uint32, *produceRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.unsupported[kind] {
		return nil, 0, nil, errOwnCall
	}
	s := p.stream
	if s != nil && len(s.pending) >= produceRequestsInFlight {
		return nil, 0, nil, errOwnCall
	}
	if s == nil {
		ctx, cancel := context.WithCancel(context.Background())
		s = &produceStream{
			cancel:  cancel,
			opened:  make(chan struct{}),
			writes:  make(chan outgoing, 2*produceRequestsInFlight),
			pending: map[uint32]*produceRequest{},
			ended:   make(chan struct{}),
		}
		p.stream = s
		go p.run(ctx, s)
	}
	if s.idle != nil {
		s.idle.Stop()
		s.idle = nil
	}
	// The next id not open on the stream (ids wrap after 2^32 - 1; 0 is not an id).
	for {
		p.lastID++
		if p.lastID == 0 {
			p.lastID = 1
		}
		if s.pending[p.lastID] == nil {
			break
		}
	}
	r := &produceRequest{answers: make(chan *pb.ProduceResponse, maxAnswers)}
	s.pending[p.lastID] = r
	return s, p.lastID, r, nil
}

// run opens s (however long the connection takes to come up: callers wait with their own ctx),
// then writes and reads it until it ends.
func (p *producer) run(ctx context.Context, s *produceStream) {
	call, err := p.manager.Produce(ctx)
	if err != nil {
		p.end(s, err, false)
		close(s.opened)
		return
	}
	s.call = call
	close(s.opened)
	go p.write(s)
	p.read(s)
}

// write sends the messages queued on s, in order, until the client's side ends or s does.
func (p *producer) write(s *produceStream) {
	for {
		select {
		case next := <-s.writes:
			if next.message == nil {
				_ = s.call.CloseSend()
				return
			}
			if next.request != nil {
				next.request.handed.Store(true)
			}
			if s.call.SendMsg(next.message) != nil {
				return // the reader learns why
			}
		case <-s.ended:
			return
		}
	}
}

// read reads the answers of s and hands each to its request, until the stream ends.
func (p *producer) read(s *produceStream) {
	// The manager sends headers as it serves the stream (none when it refused it).
	header, err := s.call.Header()
	served := err == nil && header != nil
	for {
		answer, err := s.call.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = status.Error(codes.Unavailable, "the manager ended the producer stream")
			}
			// A stopping manager that read nothing after its last answer says so: the requests
			// still open were not run, as on a stream it refused.
			if notRun := s.call.Trailer().Get(produceNotRunMetadataKey); len(notRun) > 0 && notRun[0] == "true" {
				served = false
			}
			p.end(s, err, served)
			return
		}
		p.mu.Lock()
		r := s.pending[answer.GetRequestId()]
		if r != nil && answer.GetDone() {
			p.forgetLocked(s, answer.GetRequestId())
		}
		p.mu.Unlock()
		if r != nil {
			select {
			case r.answers <- answer:
			default: // more answers than the request can get: the manager broke the protocol
			}
		}
	}
}

// forget drops request id of s (never sent, or given up before it was).
func (p *producer) forget(s *produceStream, id uint32) {
	p.mu.Lock()
	p.forgetLocked(s, id)
	p.mu.Unlock()
}

// forgetLocked drops request id of s; with none left, s ends after produceIdle. Under p.mu.
func (p *producer) forgetLocked(s *produceStream, id uint32) {
	delete(s.pending, id)
	if len(s.pending) == 0 && p.stream == s && s.idle == nil {
		s.idle = time.AfterFunc(produceIdle, func() { p.endIdle(s) })
	}
}

// endIdle ends the client's side of s when nothing was open on it for produceIdle (the manager
// then ends it); the next request opens another.
func (p *producer) endIdle(s *produceStream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stream != s || len(s.pending) > 0 {
		return
	}
	p.stream = nil
	select {
	case <-s.opened:
	default:
		s.cancel() // still opening: given up
		return
	}
	select {
	case s.writes <- outgoing{}:
	default:
		s.cancel()
	}
}

// end marks s over with err (once); the requests open on it see it through s.ended.
func (p *producer) end(s *produceStream, err error, served bool) {
	s.once.Do(func() {
		p.mu.Lock()
		if p.stream == s {
			p.stream = nil
		}
		if s.idle != nil {
			s.idle.Stop()
		}
		s.err, s.served = err, served
		p.mu.Unlock()
		s.cancel()
		close(s.ended)
	})
}

// take handles one answer of a request: whether it was the last, and the request's error.
func (p *producer) take(kind produceKind, answer *pb.ProduceResponse, onTask func(*pb.Task)) (bool, error) {
	if failure := answer.GetError(); failure != nil {
		if kindUnsupported(failure) {
			p.mu.Lock()
			p.unsupported[kind] = true
			p.mu.Unlock()
			return true, errOwnCall
		}
		return true, statusOf(failure)
	}
	if task := answer.GetTask(); task != nil {
		onTask(task)
	}
	return answer.GetDone(), nil
}

// kindUnsupported reports whether an answer says the manager does not serve the request's kind
// (nothing ran): UNIMPLEMENTED, or the INVALID_ARGUMENT the first managers with Produce
// (2026-12-04) answered a kind they did not know with.
func kindUnsupported(failure *pb.ProduceError) bool {
	code := codes.Code(failure.GetCode())
	return code == codes.Unimplemented ||
		(code == codes.InvalidArgument && strings.HasPrefix(failure.GetMessage(), "Message sets no known request"))
}

// statusOf is a request's failure as its own call's status error, details included (the field
// violations FieldViolations reads).
func statusOf(failure *pb.ProduceError) error {
	if details := failure.GetDetails(); len(details) > 0 {
		var decoded spb.Status
		if proto.Unmarshal(details, &decoded) == nil {
			return status.FromProto(&decoded).Err()
		}
	}
	return status.Error(codes.Code(failure.GetCode()), failure.GetMessage())
}

// endedError is the error of request r, of kind, open on s when s ended.
func (p *producer) endedError(s *produceStream, kind produceKind, r *produceRequest) error {
	p.mu.Lock()
	closedByClient := s.closedByClient
	p.mu.Unlock()
	if closedByClient {
		return status.Error(codes.Canceled, "the client was closed before the manager answered: the task may have been made")
	}
	if !s.served {
		if status.Code(s.err) == codes.Unimplemented {
			p.mu.Lock()
			for k := range p.unsupported {
				p.unsupported[k] = true
			}
			p.mu.Unlock()
			return errOwnCall
		}
		// Refused as it opened (the key, the caps) or never opened: nothing ran, and the request
		// fails as its own call would have.
		return s.err
	}
	if !r.handed.Load() {
		// Still queued when the stream ended: the manager never had it.
		return errOwnCall
	}
	what := "the manager answered this request, which may have been made"
	if kind == kindWatch {
		what = "this wait was over: wait again"
	}
	return status.Errorf(codes.Unavailable, "the producer stream ended before %s: %v", what, s.err)
}

// close ends the stream for good: requests open on it fail with CANCELLED, later ones go as their
// own calls (which fail on the closed connection).
func (p *producer) close() {
	p.mu.Lock()
	p.closed = true
	s := p.stream
	if s != nil {
		s.closedByClient = true
	}
	p.mu.Unlock()
	if s != nil {
		s.cancel()
	}
}
