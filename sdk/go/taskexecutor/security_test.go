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
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tasks-executor/sdk/go/internal/testmanager"
	"tasks-executor/sdk/go/taskexecutor"
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

func TestAWorkerAndAClientReachAManagerOverTLSWithAnAPIKey(t *testing.T) {
	const token = "te_0123456789abcdef_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
	certFile, keyFile, roots := selfSigned(t, t.TempDir())
	secured, err := testmanager.Start("../../..", "AUTH=on", "BOOTSTRAP_ADMIN_KEY="+token,
		"TLS_CERT_FILE="+certFile, "TLS_KEY_FILE="+keyFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(secured.Stop)
	tlsConfig := &tls.Config{RootCAs: roots}
	// The key comes from the environment, as in production.
	t.Setenv("TASKS_EXECUTOR_API_KEY", token)
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

	// One that skips registration first meets the refusal on its work stream: its loss says so too.
	var logged lockedBuffer
	streamOnly, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:       taskexecutor.Connection{Address: secured.GRPCAddress, TLS: tlsConfig},
		SkipRegistration: true, IgnoreSignals: true, Logger: slog.New(slog.NewTextHandler(&logged, nil)),
		// Many refusals in a short time: each one's log line must carry the hint.
		ReconnectDelay: 5 * time.Millisecond, MaxReconnectDelay: 20 * time.Millisecond,
		Executors: []taskexecutor.Executor{{Name: "go_secured", Handler: func(context.Context, *taskexecutor.Assignment) (any, error) {
			return nil, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- streamOnly.Run(runCtx) }()
	lost := func() []string {
		var lines []string
		for _, line := range strings.Split(logged.String(), "\n") {
			if strings.Contains(line, "Lost the work stream") {
				lines = append(lines, line)
			}
		}
		return lines
	}
	eventually(t, "60 refused work streams logged", func() bool { return len(lost()) >= 60 })
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, line := range lost() {
		if !strings.Contains(line, "Unauthenticated") ||
			!strings.Contains(line, "(no API key given: set TASKS_EXECUTOR_API_KEY or Connection.APIKey)") {
			t.Fatalf("a refused work stream logged without the refusal and the hint: %s", line)
		}
	}
}
