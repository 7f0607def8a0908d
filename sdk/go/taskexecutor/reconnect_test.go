package taskexecutor_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"tasks-executor/sdk/go/taskexecutor"
)

// proxy forwards TCP connections to the manager until cut drops them all.
type proxy struct {
	listener net.Listener
	mu       sync.Mutex
	conns    []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{listener: listener}
	t.Cleanup(func() { listener.Close(); p.cut() })
	go func() {
		for {
			client, err := listener.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, client, server)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(server, client); server.Close() }()
			go func() { _, _ = io.Copy(client, server); client.Close() }()
		}
	}()
	return p
}

// cut drops every connection, as a network failure or a manager restart would.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, conn := range p.conns {
		conn.Close()
	}
	p.conns = nil
}

func TestAWorkerReconnectsAfterLosingItsConnectionAndDeliversTheResultOfARunningTask(t *testing.T) {
	p := startProxy(t, manager.GRPCAddress)
	started, release := make(chan string, 4), make(chan struct{})
	worker, err := taskexecutor.NewWorker(taskexecutor.WorkerOptions{
		Connection:        taskexecutor.Connection{Address: p.listener.Addr().String()},
		IgnoreSignals:     true,
		Logger:            quiet,
		ReconnectDelay:    10 * time.Millisecond,
		MaxReconnectDelay: 50 * time.Millisecond,
		Executors: []taskexecutor.Executor{{
			Name:        "go_reconnect",
			Concurrency: 2,
			// A task handed to the old stream in the instant it died is lost with it until its
			// lease expires: a short lease keeps this test short.
			Config: &taskexecutor.ExecutorConfig{Timeout: time.Second},
			Handler: func(_ context.Context, task *taskexecutor.Assignment) (any, error) {
				started <- task.ID
				<-release
				return task.Attempt, nil
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, worker)
	ctx := context.Background()
	client := newClient(t)
	running, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_reconnect"})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "the handler to start", started)
	p.cut()
	// Created while the worker is away (or reconnecting): it runs once the worker is back.
	later, err := client.CreateTask(ctx, taskexecutor.NewTask{ExecutorName: "go_reconnect"})
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	tasks := wait(t, client, running.ID, later.ID)
	// Its lease kept by heartbeats on the new stream, the running task's first attempt counts.
	if task := tasks[0]; task.Status != taskexecutor.StatusCompleted || string(task.Result) != "1" {
		t.Fatalf("the task running across the reconnection: %+v", task)
	}
	if task := tasks[1]; task.Status != taskexecutor.StatusCompleted {
		t.Fatalf("the task created meanwhile: %+v", task)
	}
}
