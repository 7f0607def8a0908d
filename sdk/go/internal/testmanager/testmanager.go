// Package testmanager gives the Go SDK's tests a real manager: the one named by MANAGER_ADDRESS
// and MANAGER_URL when both are set, otherwise one it starts from this repository's sources. Its
// LockedBuffer is where a started manager's output and a test's worker logs are written.
package testmanager

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Manager is a running manager: its gRPC address (host:port) and REST base URL.
type Manager struct {
	GRPCAddress string
	URL         string
	stop        func()
}

// Stop stops a manager Start started (SIGTERM, then waits for it and removes its data); a manager
// found in the environment is left running.
func (m *Manager) Stop() {
	if m.stop != nil {
		m.stop()
	}
}

// Start finds or starts a manager (with extra environment entries, always starts one). A started one runs `deno run … main.ts` from the repository
// root (root is that directory, relative to the test's), with AUTH=off, free loopback ports and
// a temporary DATA_DIR; DENO_BIN names the deno binary (default: deno on PATH). Extra environment
// entries (KEY=value) are added to the manager's.
func Start(root string, env ...string) (*Manager, error) {
	address, url := os.Getenv("MANAGER_ADDRESS"), os.Getenv("MANAGER_URL")
	if address != "" && url != "" && len(env) == 0 {
		return &Manager{GRPCAddress: address, URL: url}, nil
	}
	deno := os.Getenv("DENO_BIN")
	if deno == "" {
		deno = "deno"
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "go-sdk-test-")
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	grpcPort, err := freePort()
	if err != nil {
		return nil, err
	}
	// The permissions of `deno task start`, run directly so that a signal reaches the manager.
	cmd := exec.Command(deno, "run", "--allow-net", "--allow-env", "--allow-read", "--allow-write",
		"--allow-sys", "--allow-run", "main.ts")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "MANAGER_HOST=127.0.0.1", "AUTH=off", "DATA_DIR="+dataDir,
		fmt.Sprintf("MANAGER_PORT=%d", httpPort), fmt.Sprintf("MANAGER_GRPC_PORT=%d", grpcPort))
	cmd.Env = append(cmd.Env, env...)
	output := &LockedBuffer{}
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	// With TLS_CERT_FILE both ports serve TLS; the readiness probe does not check the certificate.
	scheme, probe := "http", http.DefaultClient
	if slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "TLS_CERT_FILE=") }) {
		scheme = "https"
		probe = &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	m := &Manager{
		GRPCAddress: fmt.Sprintf("127.0.0.1:%d", grpcPort),
		URL:         fmt.Sprintf("%s://127.0.0.1:%d", scheme, httpPort),
		stop: func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			_ = os.RemoveAll(dataDir)
		},
	}
	for {
		select {
		case <-exited:
			_ = os.RemoveAll(dataDir)
			return nil, fmt.Errorf("the manager exited: %s", output.String())
		case <-time.After(100 * time.Millisecond):
		}
		// Its own start line first: a port taken between freePort and the manager's listen makes it
		// exit, and the probe then reached whatever held the port (another test's manager).
		if !strings.Contains(output.String(), `"msg":"Manager started"`) {
			continue
		}
		if response, err := probe.Get(m.URL + "/readyz"); err == nil {
			response.Body.Close()
			if response.StatusCode == http.StatusOK {
				return m, nil
			}
		}
	}
}

func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}
