package session

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/doricdb/doric/frontend/ast"
	"github.com/doricdb/doric/frontend/coord"
)

// Processes is the frontend's table of open connections and the statement each is running, for
// KILL. Safe for concurrent use by every session.
type Processes struct {
	mu    sync.Mutex
	conns map[uint32]*process
}

type process struct {
	cancel context.CancelCauseFunc // of the running statement; nil when idle
	killed bool                    // KILL CONNECTION: the connection closes
	by     uint32                  // the connection that killed it
}

// NewProcesses returns an empty table.
func NewProcesses() *Processes { return &Processes{conns: map[uint32]*process{}} }

func (p *Processes) open(id uint32) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns[id] = &process{}
}

func (p *Processes) close(id uint32) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := p.conns[id]; pr != nil && pr.cancel != nil {
		pr.cancel(context.Canceled)
	}
	delete(p.conns, id)
}

// running records the cancel function of connection id's statement (nil: it ended).
func (p *Processes) running(id uint32, cancel context.CancelCauseFunc) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := p.conns[id]; pr != nil {
		pr.cancel = cancel
	}
}

// killed reports whether KILL CONNECTION named connection id, and from which connection.
func (p *Processes) killed(id uint32) (bool, uint32) {
	if p == nil {
		return false, 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.conns[id]
	if pr == nil || !pr.killed {
		return false, 0
	}
	return true, pr.by
}

// kill cancels connection target's statement (with a cause naming connection by) and, unless
// queryOnly, marks the connection to be closed.
func (p *Processes) kill(target int64, queryOnly bool, by uint32) error {
	if p == nil || target < 0 || target > int64(^uint32(0)) {
		return &coord.NoSuchConnectionError{ID: target}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.conns[uint32(target)]
	if pr == nil {
		return &coord.NoSuchConnectionError{ID: target}
	}
	if !queryOnly {
		pr.killed, pr.by = true, by
	}
	if pr.cancel != nil && uint32(target) != by {
		pr.cancel(&coord.InterruptedError{KilledBy: by})
	}
	return nil
}

// Killed reports whether KILL CONNECTION named this session's connection: its connection
// closes (the MySQL server checks after every command).
func (s *Session) Killed() bool {
	k, _ := s.shared.Processes.killed(s.connID)
	return k
}

// errIfKilled is the error a killed connection answers its next statement with.
func (s *Session) errIfKilled() error {
	if k, by := s.shared.Processes.killed(s.connID); k {
		return &coord.InterruptedError{KilledBy: by}
	}
	return nil
}

func (s *Session) kill(st *ast.Kill) error {
	return s.shared.Processes.kill(st.ConnID, st.Query, s.connID)
}

// statementContext is the context a statement runs under: cancelled by KILL from another
// connection, and for queries by query_timeout. done unregisters it; interrupted replaces an
// error the statement failed with by the reason it was stopped, if it was.
func (s *Session) statementContext(ctx context.Context, st ast.Statement) (_ context.Context, done func(), interrupted func(error) error) {
	ctx, cancel := context.WithCancelCause(ctx)
	s.shared.Processes.running(s.connID, cancel)
	var stopTimer func() bool
	if _, isQuery := st.(*ast.Select); isQuery {
		if d := s.timeout("query_timeout"); d > 0 {
			t := time.AfterFunc(d, func() { cancel(&coord.InterruptedError{Timeout: d}) })
			stopTimer = t.Stop
		}
	}
	done = func() {
		if stopTimer != nil {
			stopTimer()
		}
		s.shared.Processes.running(s.connID, nil)
		cancel(context.Canceled)
	}
	interrupted = func(err error) error {
		var ie *coord.InterruptedError
		if err != nil && errors.As(context.Cause(ctx), &ie) {
			return ie
		}
		return err
	}
	return ctx, done, interrupted
}

// execOptions are the session variables a query's fragments run with.
func (s *Session) execOptions() coord.QueryOptions {
	return coord.QueryOptions{
		ExecMemLimit: max(s.vars["exec_mem_limit"].num, 0),
		Parallelism:  int32(min(max(s.vars["parallel_pipeline_task_num"].num, 0), 1024)),
		TimeZone:     s.vars["time_zone"].str,
	}
}
