package taskexecutor_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/internal/testmanager"
	"tasks-executor/sdk/go/taskexecutor"
	pb "tasks-executor/sdk/go/taskexecutorv1"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir; returns the files and a
// pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDer, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPem := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPem, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDer}), 0o600); err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AppendCertsFromPEM(certPem)
	return certFile, keyFile, roots
}

// adminToken is the admin key of the managers startSecuredManager starts.
const adminToken = "te_0123456789abcdef_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"

// startSecuredManager starts a manager that requires API keys, adminToken its admin key, with env
// added to its environment; it stops when the test ends.
func startSecuredManager(t *testing.T, env ...string) *testmanager.Manager {
	t.Helper()
	secured, err := testmanager.Start("../../..", append([]string{"AUTH=on", "BOOTSTRAP_ADMIN_KEY=" + adminToken}, env...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(secured.Stop)
	return secured
}

// newAdminClient is a client of secured (plaintext) holding adminToken, closed when the test ends.
func newAdminClient(t *testing.T, secured *testmanager.Manager) *taskexecutor.Client {
	t.Helper()
	admin, err := taskexecutor.NewClient(taskexecutor.Connection{Address: secured.GRPCAddress, APIKey: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

// securedWorkerKey is a new key named name, made by admin, that may serve executor alone.
func securedWorkerKey(t *testing.T, admin *taskexecutor.Client, name, executor string) *pb.CreateKeyResponse {
	t.Helper()
	key, err := admin.Manager().CreateKey(context.Background(), &pb.CreateKeyRequest{
		Name: name, Scopes: []pb.Scope{pb.Scope_SCOPE_WORKER}, Executors: []string{executor}})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestAWorkerAndAClientReachAManagerOverTLSWithAnAPIKey(t *testing.T) {
	certFile, keyFile, roots := selfSigned(t, t.TempDir())
	secured := startSecuredManager(t, "TLS_CERT_FILE="+certFile, "TLS_KEY_FILE="+keyFile)
	tlsConfig := &tls.Config{RootCAs: roots}
	// The key comes from the environment, as in production.
	t.Setenv("TASKS_EXECUTOR_API_KEY", adminToken)
	connection := taskexecutor.Connection{Address: secured.GRPCAddress, TLS: tlsConfig}

	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: connection, IgnoreSignals: true, Logger: quiet,
		Executors: []taskexecutor.Executor{{
			Name:    "go_secured",
			Handler: func(context.Context, *taskexecutor.Assignment) (any, error) { return "over TLS", nil },
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
	ctx := context.Background()
	client, err := taskexecutor.NewClient(connection)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	created, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_secured"})
	if err != nil {
		t.Fatal(err)
	}
	if task := wait(t, client, created.ID)[0]; string(task.Result) != `"over TLS"` {
		t.Fatalf("task: %+v", task)
	}

	t.Setenv("TASKS_EXECUTOR_API_KEY", "")
	anonymous, _ := taskexecutor.NewClient(taskexecutor.Connection{Address: secured.GRPCAddress, TLS: tlsConfig})
	defer anonymous.Close()
	if _, err := anonymous.GetTask(ctx, created.ID); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("without a key: %v, want UNAUTHENTICATED", err)
	}
	// A worker without one says how to give it.
	keyless, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:    taskexecutor.Connection{Address: secured.GRPCAddress, TLS: tlsConfig},
		IgnoreSignals: true, Logger: quiet,
		Executors: []taskexecutor.Executor{{Name: "go_secured", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return nil, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = keyless.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "no API key given: set TASKS_EXECUTOR_API_KEY") {
		t.Fatalf("a worker without a key: %v, want the refusal naming TASKS_EXECUTOR_API_KEY", err)
	}

	// One that skips registration first meets the refusal on its work stream: it stops with it, the
	// hint included, as the TypeScript worker does (it reconnected without end, each refusal a
	// warning). A key that may not serve the executor (PERMISSION_DENIED) stops it too.
	produces, err := client.Manager().CreateKey(ctx, &pb.CreateKeyRequest{
		Name: "go_producer", Scopes: []pb.Scope{pb.Scope_SCOPE_PRODUCER}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key, code, hint string
	}{
		{"", "Unauthenticated", "(no API key given: set TASKS_EXECUTOR_API_KEY or Connection.APIKey)"},
		{produces.GetToken(), "PermissionDenied", ""},
	} {
		var logged testmanager.LockedBuffer
		streamOnly, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
			Connection:       taskexecutor.Connection{Address: secured.GRPCAddress, TLS: tlsConfig, APIKey: c.key},
			SkipRegistration: true, IgnoreSignals: true, Logger: slog.New(slog.NewTextHandler(&logged, nil)),
			ReconnectDelay: 5 * time.Millisecond, MaxReconnectDelay: 20 * time.Millisecond,
			Executors: []taskexecutor.Executor{{Name: "go_secured", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
				return nil, nil
			}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stop := context.WithTimeout(ctx, 10*time.Second)
		err = streamOnly.Run(runCtx)
		stop()
		if err == nil || !strings.Contains(err.Error(), "the manager refused this worker") ||
			!strings.Contains(err.Error(), "code = "+c.code) || !strings.Contains(err.Error(), c.hint) {
			t.Fatalf("Run of a worker the manager refuses (%s): %v, want the refusal and %q", c.code, err, c.hint)
		}
		if c.hint == "" && strings.Contains(err.Error(), "no API key given") {
			t.Fatalf("a worker that gave a key was told to give one: %v", err)
		}
		if lines := logged.String(); strings.Count(lines, "Manager refused this worker's API key or what it may serve, stopping") != 1 ||
			strings.Contains(lines, "Lost the work stream") {
			t.Fatalf("a refused worker should log the refusal once and never reconnect:\n%s", lines)
		}
	}

	// A key revoked while its worker is connected ends the stream with UNAUTHENTICATED: the worker
	// stops with the refusal, registration on or not.
	serves := securedWorkerKey(t, client, "go_worker", "go_secured")
	revoked, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:    taskexecutor.Connection{Address: secured.GRPCAddress, TLS: tlsConfig, APIKey: serves.GetToken()},
		IgnoreSignals: true, Logger: quiet,
		ReconnectDelay: 5 * time.Millisecond, MaxReconnectDelay: 20 * time.Millisecond,
		Executors: []taskexecutor.Executor{{Name: "go_secured", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return nil, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- revoked.Run(runCtx) }()
	select {
	case <-revoked.Ready():
	case err := <-ran:
		t.Fatalf("Run with a worker key: %v", err)
	}
	if _, err := client.Manager().RevokeKey(ctx, &pb.RevokeKeyRequest{Id: serves.GetKey().GetId()}); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err == nil || !strings.Contains(err.Error(), "code = Unauthenticated desc = API key was revoked") {
		t.Fatalf("Run of a worker whose key was revoked: %v, want the refusal", err)
	}
}

// A worker whose id another key holds on the manager is told UNAVAILABLE (the hold ends with that
// key's streams and leases): it reconnects with backoff, and takes the id once the other worker
// is gone, instead of stopping for good as it does on a refused key.
func TestAWorkerWhoseIDAnotherKeyHoldsWaitsForItAndRunsOnceItIsFree(t *testing.T) {
	manager := startSecuredManager(t)
	ctx := context.Background()
	admin := newAdminClient(t, manager)
	if err := admin.RegisterExecutor(ctx, "go_held_id", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	var ranBy sync.Map
	workerWith := func(name string, logger *slog.Logger) *taskexecutor.Worker {
		t.Helper()
		key := securedWorkerKey(t, admin, name, "go_held_id")
		worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
			Connection: taskexecutor.Connection{Address: manager.GRPCAddress, APIKey: key.GetToken()},
			WorkerID:   "go_shared_id", SkipRegistration: true, IgnoreSignals: true, Logger: logger,
			ReconnectDelay: 5 * time.Millisecond, MaxReconnectDelay: 20 * time.Millisecond,
			Executors: []taskexecutor.Executor{{Name: "go_held_id", Handler: func(_ context.Context, a *taskexecutor.Assignment) (any, error) {
				ranBy.Store(a.ID, name)
				return nil, nil
			}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return worker
	}
	stopFirst, firstRan := runUntilStopped(t, workerWith("go_first", quiet))
	var logged testmanager.LockedBuffer
	second := workerWith("go_second", slog.New(slog.NewTextHandler(&logged, nil)))
	secondCtx, stopSecond := context.WithCancel(ctx)
	secondRan := make(chan error, 1)
	go func() { secondRan <- second.Run(secondCtx) }()
	defer func() {
		stopSecond()
		if err := <-secondRan; err != nil {
			t.Errorf("Run of the second worker: %v", err)
		}
	}()
	// Refused while the first worker holds the id, and not for good: it tries again.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(logged.String(), `Worker id \"go_shared_id\" is held by another API key`) {
		select {
		case err := <-secondRan:
			secondRan <- err // for the deferred stop, which reads it
			t.Fatalf("Run of a worker whose id another key holds returned %v; it should wait", err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no refusal of the held id was logged:\n%s", logged.String())
		}
	}
	stopFirst()
	if err := <-firstRan; err != nil {
		t.Fatalf("Run of the first worker: %v", err)
	}
	within(t, "the second worker to take the freed id", second.Ready())
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	task, err := admin.CreateAndWait(waitCtx, taskexecutor.NewTask{ExecutorName: "go_held_id"})
	if err != nil {
		t.Fatal(err)
	}
	if who, _ := ranBy.Load(task.ID); task.Status != taskexecutor.StatusCompleted || who != "go_second" {
		t.Fatalf("task %s %s, run by %v: want completed by go_second", task.ID, task.Status, who)
	}
}

// A worker whose key is revoked cannot deliver a result: its running handlers are cancelled at
// once (ErrShutdown), not given ShutdownGrace to finish work nobody can receive (Run returned
// the refusal only once the whole grace was over).
func TestARevokedWorkerCancelsItsRunningHandlersAtOnce(t *testing.T) {
	secured := startSecuredManager(t)
	ctx := context.Background()
	admin := newAdminClient(t, secured)
	if err := admin.RegisterExecutor(ctx, "go_revoked_running", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	key := securedWorkerKey(t, admin, "go_revoked_running", "go_revoked_running")
	started, cancelled := make(chan struct{}, 1), make(chan error, 1)
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:    taskexecutor.Connection{Address: secured.GRPCAddress, APIKey: key.GetToken()},
		IgnoreSignals: true, Logger: quiet, ShutdownGrace: time.Minute,
		Executors: []taskexecutor.Executor{{Name: "go_revoked_running", Handler: func(ctx context.Context, _ *taskexecutor.Assignment) (any, error) {
			started <- struct{}{}
			<-ctx.Done()
			cancelled <- context.Cause(ctx)
			return nil, context.Cause(ctx)
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, ran := runUntilStopped(t, worker)
	defer stop()
	if _, err := admin.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_revoked_running"}); err != nil {
		t.Fatal(err)
	}
	within(t, "the handler to start", started)
	revokedAt := time.Now()
	if _, err := admin.Manager().RevokeKey(ctx, &pb.RevokeKeyRequest{Id: key.GetKey().GetId()}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ran:
		if err == nil || !strings.Contains(err.Error(), "the manager refused this worker") {
			t.Fatalf("Run: %v, want the refusal", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of the revocation: it waits out ShutdownGrace (1 min)")
	}
	select {
	case cause := <-cancelled:
		if cause != taskexecutor.ErrShutdown {
			t.Fatalf("the handler's context was cancelled with %v, want ErrShutdown", cause)
		}
	default:
		t.Fatal("Run returned before the running handler's context was cancelled")
	}
	if waited := time.Since(revokedAt); waited > 5*time.Second {
		t.Fatalf("Run returned %s after the revocation", waited)
	}
}

// Two workers under one worker id and two keys, both alive: the second is refused the id
// (codes.Unavailable, held by the first's open stream) and, once that stream stayed open past the
// time in which the manager closes the stream of a worker that is gone (4 keepalive intervals of
// 200 ms), stops: Run returns ErrWorkerIDHeld naming the id, where it retried without end.
func TestTwoLiveWorkersUnderOneIDAndTwoKeysTheSecondStopsNamingTheID(t *testing.T) {
	manager := startSecuredManager(t, "KEEPALIVE_INTERVAL=200ms")
	ctx := context.Background()
	admin := newAdminClient(t, manager)
	if err := admin.RegisterExecutor(ctx, "go_live_held_id", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	workerWith := func(name string, logger *slog.Logger) *taskexecutor.Worker {
		t.Helper()
		key := securedWorkerKey(t, admin, name, "go_live_held_id")
		worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
			Connection: taskexecutor.Connection{Address: manager.GRPCAddress, APIKey: key.GetToken()},
			WorkerID:   "go_live_shared_id", SkipRegistration: true, IgnoreSignals: true, Logger: logger,
			ReconnectDelay: 10 * time.Millisecond, MaxReconnectDelay: 50 * time.Millisecond,
			Executors: []taskexecutor.Executor{{Name: "go_live_held_id", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
				return nil, nil
			}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return worker
	}
	first := workerWith("go_live_first", quiet)
	stopFirst, firstRan := runUntilStopped(t, first)
	within(t, "the first worker to connect", first.Ready())
	var logged testmanager.LockedBuffer
	second := workerWith("go_live_second", slog.New(slog.NewTextHandler(&logged, nil)))
	secondCtx, stopSecond := context.WithCancel(ctx)
	defer stopSecond()
	secondRan := make(chan error, 1)
	started := time.Now()
	go func() { secondRan <- second.Run(secondCtx) }()
	select {
	case err := <-secondRan:
		took := time.Since(started)
		if !errors.Is(err, taskexecutor.ErrWorkerIDHeld) || !strings.Contains(err.Error(), `worker id "go_live_shared_id"`) {
			t.Fatalf("Run of the second worker returned %v; want ErrWorkerIDHeld naming the id\n%s", err, logged.String())
		}
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("Run's error %v carries code %v; want the refusal's Unavailable", err, status.Code(err))
		}
		if took < 800*time.Millisecond {
			t.Fatalf("stopped after %v, before a gone worker's stream would have closed", took)
		}
		if !strings.Contains(logged.String(), "Another API key's worker holds this worker's id, stopping") {
			t.Fatalf("no error logged:\n%s", logged.String())
		}
	case <-time.After(15 * time.Second):
		stopSecond()
		<-secondRan
		t.Fatalf("the second worker still waits for an id the first, alive, holds:\n%s", logged.String())
	}
	stopFirst()
	if err := <-firstRan; err != nil {
		t.Fatalf("Run of the first worker: %v", err)
	}
}

func TestAWorkerWhoseIDAnotherKeysUnaryPollerGoesOnUsingStopsNamingTheID(t *testing.T) {
	manager := startSecuredManager(t, "KEEPALIVE_INTERVAL=200ms")
	ctx := context.Background()
	admin := newAdminClient(t, manager)
	// The poller's task runs an hour: its lease alone would hold the id that long.
	config := taskexecutor.ExecutorConfig{Timeout: time.Hour}
	if err := admin.RegisterExecutor(ctx, "go_polled_held_id", config); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_polled_held_id"}); err != nil {
		t.Fatal(err)
	}
	pollerKey := securedWorkerKey(t, admin, "go_poller", "go_polled_held_id")
	conn, err := grpc.NewClient(manager.GRPCAddress, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pollCtx, stopPolling := context.WithCancel(metadata.AppendToOutgoingContext(ctx,
		"authorization", "Bearer "+pollerKey.GetToken()))
	poll := func() (*pb.GetNextTaskResponse, error) {
		return pb.NewTaskExecutorServiceClient(conn).GetNextTask(pollCtx, &pb.GetNextTaskRequest{
			WorkerId: "go_polled_shared_id", Executors: []string{"go_polled_held_id"}, MaxTasks: 1})
	}
	if got, err := poll(); err != nil || len(got.GetTasks()) != 1 {
		t.Fatalf("the poller's first poll: %v, %v", got, err)
	}
	// It polls on, every 100 ms, its task still running.
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for pollCtx.Err() == nil {
			_, _ = poll()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	defer func() { stopPolling(); <-polled }()
	key := securedWorkerKey(t, admin, "go_polled_worker", "go_polled_held_id")
	var logged testmanager.LockedBuffer
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress, APIKey: key.GetToken()},
		WorkerID:   "go_polled_shared_id", SkipRegistration: true, IgnoreSignals: true,
		Logger:         slog.New(slog.NewTextHandler(&logged, nil)),
		ReconnectDelay: 10 * time.Millisecond, MaxReconnectDelay: 50 * time.Millisecond,
		Executors: []taskexecutor.Executor{{Name: "go_polled_held_id", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return nil, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	ran := make(chan error, 1)
	started := time.Now()
	go func() { ran <- worker.Run(runCtx) }()
	select {
	case err := <-ran:
		took := time.Since(started)
		if !errors.Is(err, taskexecutor.ErrWorkerIDHeld) || !strings.Contains(err.Error(), `worker id "go_polled_shared_id": a worker of another API key still called`) {
			t.Fatalf("Run returned %v; want ErrWorkerIDHeld naming the id and the calls\n%s", err, logged.String())
		}
		if took < 800*time.Millisecond {
			t.Fatalf("stopped after %v, before a gone poller's calls would have stopped counting", took)
		}
	case <-time.After(15 * time.Second):
		stopRun()
		<-ran
		t.Fatalf("the worker still waits for an id another key's poller goes on using:\n%s", logged.String())
	}
}

func TestAWorkerWhoseIDAnotherKeysDrainingWorkerHoldsWaitsOutTheDrain(t *testing.T) {
	manager := startSecuredManager(t, "KEEPALIVE_INTERVAL=200ms")
	ctx := context.Background()
	admin := newAdminClient(t, manager)
	if err := admin.RegisterExecutor(ctx, "go_drained_held_id", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}, 1), make(chan struct{})
	var logged testmanager.LockedBuffer
	workerWith := func(name string, logger *slog.Logger) *taskexecutor.Worker {
		t.Helper()
		key := securedWorkerKey(t, admin, name, "go_drained_held_id")
		worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
			Connection: taskexecutor.Connection{Address: manager.GRPCAddress, APIKey: key.GetToken()},
			WorkerID:   "go_drained_shared_id", SkipRegistration: true, IgnoreSignals: true, Logger: logger,
			ReconnectDelay: 10 * time.Millisecond, MaxReconnectDelay: 50 * time.Millisecond,
			ShutdownGrace: 3 * time.Second,
			Executors: []taskexecutor.Executor{{Name: "go_drained_held_id", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
				started <- struct{}{}
				<-release
				return nil, nil
			}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return worker
	}
	first := workerWith("go_drained_first", quiet)
	stopFirst, firstRan := runUntilStopped(t, first)
	if _, err := admin.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_drained_held_id"}); err != nil {
		t.Fatal(err)
	}
	within(t, "the first worker to start the task", started)
	// The first drains, its task running, while the second starts.
	stopFirst()
	time.Sleep(200 * time.Millisecond)
	second := workerWith("go_drained_second", slog.New(slog.NewTextHandler(&logged, nil)))
	secondCtx, stopSecond := context.WithCancel(ctx)
	defer stopSecond()
	secondRan := make(chan error, 1)
	go func() { secondRan <- second.Run(secondCtx) }()
	// Past goneWithinMs (800 ms), the drain still under way.
	time.Sleep(1500 * time.Millisecond)
	close(release)
	if err := <-firstRan; err != nil {
		t.Fatalf("Run of the first worker: %v", err)
	}
	select {
	case <-second.Ready():
	case err := <-secondRan:
		t.Fatalf("Run of the second worker returned %v during the other's drain\n%s", err, logged.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("the second worker never connected:\n%s", logged.String())
	}
	if !strings.Contains(logged.String(), "open and draining") {
		t.Fatalf("no refusal named the drain:\n%s", logged.String())
	}
	stopSecond()
	if err := <-secondRan; err != nil {
		t.Fatalf("Run of the second worker: %v", err)
	}
}

// openStreamWithoutKeepalive opens a work stream as a raw gRPC worker of key whose hello asks for
// no keepalive, and waits for its welcome; the stream ends with ctx.
func openStreamWithoutKeepalive(t *testing.T, ctx context.Context, address, token, workerID, executor string) pb.TaskExecutorService_WorkClient {
	t.Helper()
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	stream, err := pb.NewTaskExecutorServiceClient(conn).Work(
		metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token))
	if err != nil {
		t.Fatal(err)
	}
	hello := &pb.Hello{WorkerId: workerID, Executors: []string{executor}, SdkVersion: "raw"}
	if err := stream.Send(&pb.WorkRequest{Kind: &pb.WorkRequest_Hello{Hello: hello}}); err != nil {
		t.Fatal(err)
	}
	if welcome, err := stream.Recv(); err != nil || welcome.GetWelcome() == nil {
		t.Fatalf("the raw worker's welcome: %v, %v", welcome, err)
	}
	return stream
}

// heldIDWorker is a worker of a new key for executor under workerID, logging into logged.
func heldIDWorker(t *testing.T, manager *testmanager.Manager, admin *taskexecutor.Client, name, workerID, executor string, logged *testmanager.LockedBuffer) *taskexecutor.Worker {
	t.Helper()
	key := securedWorkerKey(t, admin, name, executor)
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection: taskexecutor.Connection{Address: manager.GRPCAddress, APIKey: key.GetToken()},
		WorkerID:   workerID, SkipRegistration: true, IgnoreSignals: true,
		Logger:         slog.New(slog.NewTextHandler(logged, nil)),
		ReconnectDelay: 10 * time.Millisecond, MaxReconnectDelay: 50 * time.Millisecond,
		Executors: []taskexecutor.Executor{{Name: executor, Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return nil, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return worker
}

// A raw worker of another key whose hello asks for no keepalive goes silent: the manager closes
// its stream once silent past SILENCE_WITHOUT_KEEPALIVE (1 s here), and the worker waiting on the
// id gets it and serves, where it waited without end.
func TestAWorkerWhoseIDAnotherKeysSilentStreamWithoutKeepaliveHoldsGetsItOnceTheManagerClosesThatStream(t *testing.T) {
	manager := startSecuredManager(t, "KEEPALIVE_INTERVAL=200ms", "SILENCE_WITHOUT_KEEPALIVE=1s")
	ctx := context.Background()
	admin := newAdminClient(t, manager)
	if err := admin.RegisterExecutor(ctx, "go_silent_held_id", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	rawKey := securedWorkerKey(t, admin, "go_silent_raw", "go_silent_held_id")
	// Ended by the test after 30 s if the manager never closes it.
	rawCtx, stopRaw := context.WithTimeout(ctx, 30*time.Second)
	defer stopRaw()
	raw := openStreamWithoutKeepalive(t, rawCtx, manager.GRPCAddress, rawKey.GetToken(), "go_silent_shared_id", "go_silent_held_id")
	var logged testmanager.LockedBuffer
	worker := heldIDWorker(t, manager, admin, "go_silent_worker", "go_silent_shared_id", "go_silent_held_id", &logged)
	stop, ran := runUntilStopped(t, worker)
	defer func() { stop(); <-ran }()
	if _, err := raw.Recv(); status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "No message from the worker") {
		t.Fatalf("the silent raw stream ended with %v; want Unavailable saying it was silent", err)
	}
	if !strings.Contains(logged.String(), "one without keepalive, is open") {
		t.Fatalf("the worker was not refused for the raw stream:\n%s", logged.String())
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	task, err := admin.CreateAndWait(waitCtx, taskexecutor.NewTask{ExecutorName: "go_silent_held_id"})
	if err != nil || task.Status != taskexecutor.StatusCompleted {
		t.Fatalf("the task: %+v, %v\n%s", task, err, logged.String())
	}
}

// A raw worker of another key whose hello asks for no keepalive goes on writing: its stream stays
// open past the bound the refusal names (SILENCE_WITHOUT_KEEPALIVE and a check), so the worker
// waiting on the id stops, Run returning ErrWorkerIDHeld naming the id, where it waited without end.
func TestAWorkerWhoseIDAnotherKeysLiveStreamWithoutKeepaliveHoldsStopsNamingTheID(t *testing.T) {
	manager := startSecuredManager(t, "KEEPALIVE_INTERVAL=200ms", "SILENCE_WITHOUT_KEEPALIVE=1s")
	ctx := context.Background()
	admin := newAdminClient(t, manager)
	if err := admin.RegisterExecutor(ctx, "go_live_raw_held_id", taskexecutor.ExecutorConfig{}); err != nil {
		t.Fatal(err)
	}
	rawKey := securedWorkerKey(t, admin, "go_live_raw", "go_live_raw_held_id")
	rawCtx, stopRaw := context.WithCancel(ctx)
	raw := openStreamWithoutKeepalive(t, rawCtx, manager.GRPCAddress, rawKey.GetToken(), "go_live_raw_shared_id", "go_live_raw_held_id")
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		for rawCtx.Err() == nil && raw.Send(&pb.WorkRequest{Kind: &pb.WorkRequest_Heartbeat{Heartbeat: &pb.Heartbeat{}}}) == nil {
			time.Sleep(200 * time.Millisecond)
		}
	}()
	defer func() { stopRaw(); <-writing }()
	var logged testmanager.LockedBuffer
	worker := heldIDWorker(t, manager, admin, "go_live_raw_worker", "go_live_raw_shared_id", "go_live_raw_held_id", &logged)
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	ran := make(chan error, 1)
	go func() { ran <- worker.Run(runCtx) }()
	select {
	case err := <-ran:
		if !errors.Is(err, taskexecutor.ErrWorkerIDHeld) || !strings.Contains(err.Error(), `worker id "go_live_raw_shared_id": a work stream of another API key with this id, one without keepalive, stayed open`) {
			t.Fatalf("Run returned %v; want ErrWorkerIDHeld naming the id and the stream without keepalive\n%s", err, logged.String())
		}
	case <-time.After(30 * time.Second):
		stopRun()
		<-ran
		t.Fatalf("the worker still waits for an id another key's live worker without keepalive holds:\n%s", logged.String())
	}
}
