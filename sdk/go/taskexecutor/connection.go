package taskexecutor

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/internal/jstrim"
)

// keepaliveParameters make a connection that went silent (the manager's host lost, a dropped flow:
// no FIN, no RST) fail its calls and streams, so that the next call opens a new connection: while
// a call or stream is open and nothing arrived for Time, grpc-go sends an HTTP/2 PING, and closes
// the connection when no answer comes within Timeout. Time is grpc-go's smallest (10 s); idle
// connections are not pinged (the manager's grpc-js server enforces no ping policy either way).
var keepaliveParameters = keepalive.ClientParameters{
	Time:                10 * time.Second,
	Timeout:             5 * time.Second,
	PermitWithoutStream: false,
}

// Connection says how to reach a manager's gRPC server.
type Connection struct {
	// Address is the manager's gRPC address, host:port. Default: MANAGER_ADDRESS from the
	// environment, else localhost:50051.
	Address string
	// TLS, when set, secures the connection (set Certificates for mTLS); nil = plaintext.
	TLS *tls.Config
	// APIKey is sent as "authorization: Bearer <key>" on every call. Empty: the value of
	// TASKS_EXECUTOR_API_KEY, and none when that is unset too (a manager with AUTH=off).
	APIKey string
	// MaxRequestBytes is the manager's MAX_REQUEST_BYTES, when it is not the default 4 MiB: a
	// create or wait larger goes as its own call, which the manager refuses alone, rather than on
	// the producer stream that other requests share. 0 = 4 MiB; NewClient and NewWorker refuse a
	// negative one.
	MaxRequestBytes int
}

// jittered is a delay of base with its upper half drawn at random, so that many clients that lost
// one manager do not all come back at once.
func jittered(base time.Duration) time.Duration {
	return base/2 + rand.N(base/2+1)
}

// answers counts, as a stats.Handler of a connection, whether the manager ever answered on it
// (headers or a message): a call that fails with UNAVAILABLE then lost a manager it had reached,
// rather than one never reached (a wrong address, a manager not started).
type answers struct {
	heard atomic.Bool
}

func (a *answers) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

func (a *answers) HandleRPC(_ context.Context, event stats.RPCStats) {
	switch event.(type) {
	case *stats.InHeader, *stats.InPayload:
		a.heard.Store(true)
	}
}

func (a *answers) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (a *answers) HandleConn(context.Context, stats.ConnStats) {}

// apiKey is the key the connection sends: APIKey, else TASKS_EXECUTOR_API_KEY; "" for none.
func (c Connection) apiKey() string {
	return cmp.Or(c.APIKey, os.Getenv("TASKS_EXECUTOR_API_KEY"))
}

// missingKeyHint is what to add to a refusal with code when the connection sends no key: how to
// give one ("" otherwise).
func (c Connection) missingKeyHint(code codes.Code) string {
	if code != codes.Unauthenticated || c.apiKey() != "" {
		return ""
	}
	return " (no API key given: set TASKS_EXECUTOR_API_KEY or Connection.APIKey)"
}

// check refuses what the connection options hold that the SDK cannot take: a negative
// MaxRequestBytes made every request go as its own call.
func (c Connection) check(subject string) error {
	if c.MaxRequestBytes < 0 {
		return checkOption(subject, "Connection.MaxRequestBytes", fmt.Sprintf(
			"Must be 0 (the default, %d) or more, not %d", defaultMaxRequestBytes, c.MaxRequestBytes))
	}
	return nil
}

// dial opens a lazy connection (grpc.NewClient: nothing is sent before the first call), with
// extra dial options.
func (c Connection) dial(extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	address := cmp.Or(c.Address, os.Getenv("MANAGER_ADDRESS"), "localhost:50051")
	key := c.apiKey()
	transport := insecure.NewCredentials()
	if c.TLS != nil {
		transport = credentials.NewTLS(c.TLS)
	}
	options := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithKeepaliveParams(keepaliveParameters),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(sortedKeys{})),
	}
	if key != "" {
		options = append(options,
			grpc.WithPerRPCCredentials(bearer{token: key, secure: c.TLS != nil}))
	}
	conn, err := grpc.NewClient(address, append(options, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("taskexecutor: cannot connect to %s: %w", address, err)
	}
	return conn, nil
}

// bearer sends an API key on every call.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity is false on plaintext connections: the manager may run without TLS on
// a trusted network, and the key must reach it there too.
func (b bearer) RequireTransportSecurity() bool { return b.secure }

// ErrWorkerIDHeld is what Run's error wraps (errors.Is) when the worker stopped because another
// API key's worker that is alive holds its worker id: the manager kept refusing the id
// (codes.Unavailable, google.rpc.ErrorInfo reason WORKER_ID_HELD) while a work stream of that key
// with this id stayed open past the time in which the manager closes the stream of a worker that
// is gone, or unary calls of that key under the id (a poller) went on past it (heldBy "calls").
// Two workers under two keys share one id: a configuration error, not waited for without
// end. A hold that ends by itself (the other key's stream closing after its worker went away, its
// leases ending, as after a key rotation) is waited out.
var ErrWorkerIDHeld = errors.New("worker id held by another API key's worker that is alive")

// heldIDWait is the wait for a worker id another API key holds, over the refusals of one hello
// after another: a work stream of that key still open goneWithin (as the manager says) after the
// first refusal that named one (heldBy "stream": it speaks keepalive) has a live worker behind it,
// and the worker stops, as when unary calls of that key under the id go on that long ("calls": a
// poller, whose leases would hold the id on). A live stream that drains ("stream_draining") is
// waited for as long again as this worker's own drain may take, then stops it as a stream does. A
// stream without keepalive ("stream_without_keepalive") is as silent when its worker idles as
// when it is gone; the manager closes one once nothing arrives on it for its own, longer,
// goneWithinMs (SILENCE_WITHOUT_KEEPALIVE and a check), so one still open that long after the
// first refusal was written to or opened since, and stops the worker as a stream does. Refusals
// naming leases or calls only, or streams gone quiet ("stream_silent": its worker may be lost),
// and those of a manager older than the WORKER_ID_HELD detail, are waited for. A welcome starts it
// over.
type heldIDWait struct {
	since      time.Time // the first refusal naming an open stream; zero: none
	goneWithin time.Duration
}

// refused notes how a work stream ended (welcomed: whether its welcome came) and answers the
// error to stop with when the id is another live worker's, nil to reconnect.
//
// drain is how long this worker's own drain may take (ShutdownGrace and the wait for
// acknowledgements): a stream of the other key that drains ("stream_draining") ends by itself,
// once its running tasks do, and is waited for that much longer than a live stream.
func (h *heldIDWait) refused(err error, welcomed bool, workerID string, drain time.Duration, now time.Time) error {
	if welcomed {
		h.since = time.Time{}
	}
	if status.Code(err) != codes.Unavailable {
		return nil
	}
	var meta map[string]string
	for _, detail := range status.Convert(err).Details() {
		info, ok := detail.(*errdetails.ErrorInfo)
		if ok && info.GetReason() == "WORKER_ID_HELD" && info.GetDomain() == "tasks-executor" {
			meta = info.GetMetadata()
		}
	}
	held := meta["heldBy"]
	if held != "stream" && held != "calls" && held != "stream_draining" &&
		held != "stream_without_keepalive" {
		return nil
	}
	ms, _ := strconv.ParseInt(meta["goneWithinMs"], 10, 64)
	goneWithin := time.Duration(max(ms, 0)) * time.Millisecond
	if h.since.IsZero() {
		h.since, h.goneWithin = now, goneWithin
		return nil
	}
	waited := now.Sub(h.since)
	// A stream without keepalive has its own, longer, bound: at least that long from the first
	// refusal, whichever holder it named.
	goneWithin = max(goneWithin, h.goneWithin)
	bound := goneWithin
	if held == "stream_draining" {
		bound += drain
	}
	if waited <= bound {
		return nil
	}
	if held == "stream_draining" {
		return fmt.Errorf("taskexecutor: %w: worker id %q: a work stream of another API key with "+
			"this id still drained %v after the first refusal, past the %v in which the manager "+
			"closes the stream of a worker that is gone and the %v this worker's own drain may take "+
			"(ShutdownGrace and the wait for acknowledgements); give each worker its own id "+
			"(WorkerID), or stop the other worker: %w",
			ErrWorkerIDHeld, workerID, waited.Round(time.Millisecond), goneWithin, drain, err)
	}
	how := "a work stream of another API key with this id stayed open %v, past the %v in which " +
		"the manager closes the stream of a worker that is gone"
	switch held {
	case "calls":
		how = "a worker of another API key still called with this id %v after the first refusal, " +
			"past the %v after which the manager no longer counts a gone worker's calls"
	case "stream_without_keepalive":
		how = "a work stream of another API key with this id, one without keepalive, stayed open " +
			"%v, past the %v in which the manager closes such a stream once nothing arrives on it: " +
			"its worker wrote or connected since"
	}
	return fmt.Errorf("taskexecutor: %w: worker id %q: "+how+"; give each worker its own id "+
		"(WorkerID), or stop the other worker: %w",
		ErrWorkerIDHeld, workerID, waited.Round(time.Millisecond), goneWithin, err)
}

// helloRefused reports whether err is the manager's refusal of a work stream's hello itself
// (INVALID_ARGUMENT naming a field under /hello/: the worker id, an executor), which every
// stream, starting with the same hello, would meet again.
func helloRefused(err error) bool {
	if status.Code(err) != codes.InvalidArgument {
		return false
	}
	for _, violation := range FieldViolations(err) {
		if strings.HasPrefix(violation.Field, "/hello/") {
			return true
		}
	}
	return false
}

// The manager's rule of a worker id (proto/worker_id.ts): ids starting with legacyWorkerPrefix are
// the original interface's clients', and an id is at most maxWorkerIDChars UTF-16 code units.
const (
	legacyWorkerPrefix = "legacy:"
	maxWorkerIDChars   = 256
)

// workerIDProblem says what the manager would refuse in id as a worker's own id on the work stream
// (/hello/workerId), in its words; "" when it takes it. NewWorker checks it, so that an id refused
// for good stops the worker before it connects rather than have every hello refused.
func workerIDProblem(id string) string {
	switch {
	case jstrim.Trim(id) == "":
		return "Is required"
	case strings.HasPrefix(id, legacyWorkerPrefix):
		return `Must not start with "` + legacyWorkerPrefix + `": such ids are the original interface's clients'`
	case !utf8.ValidString(id):
		return "Must be well-formed Unicode (valid UTF-8)"
	case strings.ContainsRune(id, 0):
		return "Must not contain U+0000"
	}
	if n := len(utf16.Encode([]rune(id))); n > maxWorkerIDChars {
		return fmt.Sprintf("Must be at most %d characters, not %d", maxWorkerIDChars, n)
	}
	return ""
}
