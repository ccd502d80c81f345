package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/coord"
)

// TestKillCancelsStatement: KILL QUERY from another connection cancels the running statement's
// context with the reason, which replaces the statement's own (context) error; the connection
// stays open. KILL CONNECTION also marks it killed; unknown ids are NoSuchConnectionError.
func TestKillCancelsStatement(t *testing.T) {
	shared := &Shared{Processes: NewProcesses()}
	a, b := New(shared, 7, "root"), New(shared, 8, "root")
	defer a.Close()
	defer b.Close()
	ctx, done, interrupted := a.statementContext(context.Background(), &ast.Select{})
	if err := b.kill(&ast.Kill{Query: true, ConnID: 7}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("KILL QUERY did not cancel the statement")
	}
	var ie *coord.InterruptedError
	if err := interrupted(ctx.Err()); !errors.As(err, &ie) || ie.KilledBy != 8 || ie.Timeout != 0 {
		t.Fatalf("killed statement: %v", err)
	}
	done()
	if a.Killed() {
		t.Fatal("KILL QUERY closes the connection")
	}
	// Idle: KILL QUERY is a no-op, the next statement runs.
	if err := b.kill(&ast.Kill{Query: true, ConnID: 7}); err != nil {
		t.Fatal(err)
	}
	ctx, done, _ = a.statementContext(context.Background(), &ast.Select{})
	if ctx.Err() != nil {
		t.Fatal("a KILL QUERY of an idle connection cancelled its next statement")
	}
	done()
	if err := b.kill(&ast.Kill{ConnID: 7}); err != nil || !a.Killed() {
		t.Fatalf("KILL CONNECTION: %v, killed %v", err, a.Killed())
	}
	var nc *coord.NoSuchConnectionError
	if err := b.kill(&ast.Kill{ConnID: 99}); !errors.As(err, &nc) {
		t.Fatalf("KILL of an unknown connection: %v", err)
	}
}

// TestQueryTimeout: a query running longer than query_timeout is cancelled with the timeout as
// its reason; other statements are not limited by it.
func TestQueryTimeout(t *testing.T) {
	s := New(&Shared{Processes: NewProcesses()}, 1, "root")
	defer s.Close()
	s.vars["query_timeout"] = num(1)
	start := time.Now()
	ctx, done, interrupted := s.statementContext(context.Background(), &ast.Select{})
	defer done()
	<-ctx.Done()
	var ie *coord.InterruptedError
	if err := interrupted(ctx.Err()); !errors.As(err, &ie) || ie.Timeout != time.Second {
		t.Fatalf("timed out query: %v", err)
	}
	if d := time.Since(start); d < time.Second || d > 5*time.Second {
		t.Fatalf("cancelled after %v, want query_timeout = 1 s", d)
	}
	if err := interrupted(nil); err != nil {
		t.Fatalf("a statement that succeeded: %v", err)
	}
	ctx2, done2, _ := s.statementContext(context.Background(), &ast.Insert{})
	defer done2()
	if _, ok := ctx2.Deadline(); ok || ctx2.Err() != nil {
		t.Fatal("query_timeout limits an INSERT")
	}
}
