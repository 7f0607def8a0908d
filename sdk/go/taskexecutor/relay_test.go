package taskexecutor_test

import (
	"net"
	"sync"
	"testing"
)

// relay forwards TCP connections to a target. cut drops every connection, as a network failure
// or a manager restart would; silence makes the open ones forward nothing more while staying open
// (a dead host, a dropped flow: no FIN, no RST). New connections are relayed as before either way,
// unless silenceNew says they are silenced as they open. hold keeps what clients send, in order,
// until release (a manager slow to read), while what the target sends still goes through.
type relay struct {
	listener   net.Listener
	mu         sync.Mutex
	silent     map[net.Conn]bool
	silenceNew bool
	accepted   int
	clients    map[net.Conn]bool
	holding    bool
	released   *sync.Cond
}

func startRelay(t *testing.T, target string) *relay {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{listener: listener, silent: map[net.Conn]bool{}, clients: map[net.Conn]bool{}}
	r.released = sync.NewCond(&r.mu)
	t.Cleanup(func() { listener.Close(); r.release(); r.cut() })
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
			r.mu.Lock()
			r.accepted++
			r.clients[client] = true
			r.silent[client], r.silent[server] = r.silenceNew, r.silenceNew
			r.mu.Unlock()
			go r.pump(client, server)
			go r.pump(server, client)
		}
	}()
	return r
}

// address is where clients connect.
func (r *relay) address() string {
	return r.listener.Addr().String()
}

// pump copies from to to until either ends, then closes to, unless silenced: from then on what
// comes is read and dropped, and an end is not passed on either.
func (r *relay) pump(from, to net.Conn) {
	buffer := make([]byte, 64<<10)
	for {
		n, err := from.Read(buffer)
		r.mu.Lock()
		for r.holding && r.clients[from] {
			r.released.Wait()
		}
		silenced := r.silent[from]
		r.mu.Unlock()
		if err != nil {
			if !silenced {
				to.Close()
			}
			return
		}
		if silenced {
			continue
		}
		if _, err := to.Write(buffer[:n]); err != nil {
			return
		}
	}
}

// cut closes every open connection.
func (r *relay) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for conn := range r.silent {
		conn.Close()
	}
	r.silent = map[net.Conn]bool{}
}

// silence stops forwarding on every open connection, leaving them open.
func (r *relay) silence() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for conn := range r.silent {
		r.silent[conn] = true
	}
}

// hold keeps what clients send from now on until release.
func (r *relay) hold() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holding = true
}

// release sends on what hold kept, and passes what comes on as before.
func (r *relay) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holding = false
	r.released.Broadcast()
}

// connections counts the connections accepted so far.
func (r *relay) connections() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted
}
