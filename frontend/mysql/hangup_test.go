package mysql_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/doricdb/doric/frontend/mysql"
)

// blockingSession's statements wait for their context, or for lasts (20 s when 0), and report
// how they ended (the context's error, or nil).
type blockingSession struct {
	started   chan struct{}
	cancelled chan error
	lasts     time.Duration
}

func (s *blockingSession) Execute(ctx context.Context, sql string) (*mysql.Result, error) {
	if sql != "wait" {
		return &mysql.Result{}, nil
	}
	s.started <- struct{}{}
	lasts := s.lasts
	if lasts == 0 {
		lasts = 20 * time.Second
	}
	select {
	case <-ctx.Done():
		s.cancelled <- ctx.Err()
		return nil, ctx.Err()
	case <-time.After(lasts):
		s.cancelled <- nil
		return &mysql.Result{}, nil
	}
}

func (s *blockingSession) UseDB(string) error { return nil }
func (s *blockingSession) Close()             {}

// serve starts a server of sess's connections on a free port: its address, the function that
// shuts it down, and the channel Serve's result comes on.
func serve(t *testing.T, sess mysql.Session, grace time.Duration) (string, context.CancelFunc, chan error) {
	t.Helper()
	srv := mysql.New(mysql.Config{Version: "5.7.99", NewSession: func(uint32, string) mysql.Session { return sess },
		Credentials: func(string) (string, bool) { return "", true }, ShutdownGrace: grace})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()
	return l.Addr().String(), stop, served
}

// TestHangupCancelsStatement: a client that goes away while its statement runs — closing the
// socket, or sending COM_QUIT first as drivers do — cancels the statement's context; a client
// that waits gets its answer, and the connection goes on serving statements afterwards.
func TestHangupCancelsStatement(t *testing.T) {
	sess := &blockingSession{started: make(chan struct{}, 1), cancelled: make(chan error, 1)}
	addr, stop, served := serve(t, sess, 0)
	defer func() { stop(); <-served }()

	for _, quit := range []bool{false, true} {
		c, err := client.Connect(addr, "root", "", "")
		if err != nil {
			t.Fatal(err)
		}
		// Statements before and after one that ends normally are served as usual.
		if _, err := c.Execute("select 1"); err != nil {
			t.Fatal(err)
		}
		// The client goes away on the raw connection: go-mysql's client is not safe for a Close
		// while its Execute runs.
		raw := c.Conn.Conn
		go c.Execute("wait")
		<-sess.started
		if quit {
			raw.Write([]byte{1, 0, 0, 0, 0x01}) // COM_QUIT
		}
		raw.Close()
		select {
		case err := <-sess.cancelled:
			if err != context.Canceled {
				t.Fatalf("quit %v: the statement ended with %v, want it cancelled", quit, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("quit %v: the statement was not cancelled after its client left", quit)
		}
	}
}

// TestShutdownGrace: when the server shuts down, a statement in flight goes on; one that ends
// within the grace period completes, one that does not is cancelled when it is over, and Serve
// returns once they are done.
func TestShutdownGrace(t *testing.T) {
	for _, within := range []bool{true, false} {
		sess := &blockingSession{started: make(chan struct{}, 1), cancelled: make(chan error, 1)}
		grace := 300 * time.Millisecond
		if within {
			sess.lasts, grace = 300*time.Millisecond, 10*time.Second
		}
		addr, stop, served := serve(t, sess, grace)
		c, err := client.Connect(addr, "root", "", "")
		if err != nil {
			t.Fatal(err)
		}
		raw := c.Conn.Conn
		go c.Execute("wait")
		<-sess.started
		start := time.Now()
		stop() // the server closes the connection under the statement: no hang-up of the client
		select {
		case err := <-sess.cancelled:
			switch {
			case within && err != nil:
				t.Fatalf("a statement shorter than the grace period ended with %v", err)
			case !within && (err != context.Canceled || time.Since(start) < grace):
				t.Fatalf("the statement ended with %v after %v, want cancelled after the %v grace period", err, time.Since(start), grace)
			}
		case <-time.After(8 * time.Second):
			t.Fatalf("within %v: the statement did not end", within)
		}
		select {
		case <-served:
		case <-time.After(8 * time.Second):
			t.Fatalf("within %v: Serve did not return after its statement ended", within)
		}
		raw.Close()
	}
}
