package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/compute/types"
)

// Session executes the statements of one connection.
type Session interface {
	Execute(ctx context.Context, sql string) (*Result, error)
	UseDB(name string) error
	Close()
}

// SessionFactory opens the session of a new connection.
type SessionFactory func(connID uint32, user string) Session

// Credentials returns the password of a user; ok is false for an unknown user.
type Credentials func(user string) (password string, ok bool)

// Config configures the server.
type Config struct {
	Version     string // server version string sent in the handshake
	NewSession  SessionFactory
	Credentials Credentials
	Logger      *slog.Logger
	// ShutdownGrace is how long statements in flight may go on once Serve's context ends before
	// they are cancelled (0: DefaultShutdownGrace), so that a runaway query cannot hold a
	// shutdown up forever; a cancelled statement fails atomically, as any other.
	ShutdownGrace time.Duration
}

// DefaultShutdownGrace is Config.ShutdownGrace's default: within Kubernetes' default
// terminationGracePeriodSeconds (30 s).
const DefaultShutdownGrace = 20 * time.Second

// Server accepts MySQL connections.
type Server struct {
	cfg  Config
	conf *server.Server
	wg   sync.WaitGroup
	mu   sync.Mutex
	open map[net.Conn]struct{}
}

// New makes a server; Serve starts it.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	conf := server.NewServer(cfg.Version, gomysql.DEFAULT_COLLATION_ID, gomysql.AUTH_NATIVE_PASSWORD, nil, nil)
	return &Server{cfg: cfg, conf: conf, open: map[net.Conn]struct{}{}}
}

// Serve accepts connections on l until ctx ends, then closes l and every open connection and waits
// for their goroutines; statements still running then are cancelled Config.ShutdownGrace after
// ctx ended.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	grace := s.cfg.ShutdownGrace
	if grace <= 0 {
		grace = DefaultShutdownGrace
	}
	// Statements run under stmts: not cancelled by the end of ctx itself, but grace later.
	stmts, cancelStmts := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelStmts()
	go func() {
		<-ctx.Done()
		time.AfterFunc(grace, cancelStmts)
		l.Close()
		s.mu.Lock()
		for c := range s.open {
			c.Close()
		}
		s.mu.Unlock()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			s.wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		s.mu.Lock()
		s.open[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.open, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.serveConn(stmts, c)
		}()
	}
}

type credentials struct{ f Credentials }

func (c credentials) CheckUsername(user string) (bool, error) {
	_, ok := c.f(user)
	return ok, nil
}

func (c credentials) GetCredential(user string) (string, bool, error) {
	p, ok := c.f(user)
	return p, ok, nil
}

func (s *Server) serveConn(ctx context.Context, raw net.Conn) {
	c := newBufferedConn(raw)
	defer c.Flush() // the last answer (an error before a KILL CONNECTION closes it)
	h := &handler{ctx: ctx, newSession: s.cfg.NewSession, raw: raw}
	conn, err := s.conf.NewCustomizedConn(c, credentials{s.cfg.Credentials}, h)
	if err != nil {
		s.cfg.Logger.Debug("mysql handshake failed", "remote", c.RemoteAddr().String(), "err", err)
		return
	}
	h.conn = conn
	h.sess = s.cfg.NewSession(conn.ConnectionID(), conn.GetUser())
	defer h.sess.Close()
	if h.handshakeDB != "" {
		if err := h.sess.UseDB(h.handshakeDB); err != nil {
			return // validated during the handshake; only a concurrent DROP gets here
		}
	}
	killed, _ := h.sess.(interface{ Killed() bool }) // KILL CONNECTION closes the connection
	for !conn.Closed() {
		if err := conn.HandleCommand(); err != nil {
			return
		}
		if killed != nil && killed.Killed() {
			return
		}
	}
}

// handler adapts a Session to go-mysql's Handler. Statements run with a context that shutdown
// cancels only after Config.ShutdownGrace: a statement in flight completes (or fails
// atomically) when its connection is closed under it by the server. A client that hangs up while its statement runs cancels it
// (watchHangup), as MySQL and Doris abandon the query of a connection that is gone.
type handler struct {
	ctx        context.Context
	raw        net.Conn // the client's connection, watched for a hang-up while a statement runs
	sess       Session
	conn       *server.Conn // set once the handshake is done; OK packets with info are written on it
	newSession SessionFactory
	// handshakeDB is the database a client named in its handshake. The handshake runs before the
	// connection (and so its session) exists, so the name is checked with a throwaway session and
	// applied to the real one afterwards.
	handshakeDB string
}

func (h *handler) UseDB(name string) error {
	if h.sess == nil {
		probe := h.newSession(0, "")
		defer probe.Close()
		if err := probe.UseDB(name); err != nil {
			return toMyError(err)
		}
		h.handshakeDB = name
		return nil
	}
	return toMyError(h.sess.UseDB(name))
}

func (h *handler) HandleQuery(query string) (res *gomysql.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, gomysql.NewError(gomysql.ER_UNKNOWN_ERROR, fmt.Sprintf("BUG: internal error: %v", p))
		}
	}()
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	var stop func()
	if h.raw != nil {
		stop = watchHangup(h.raw, cancel)
	}
	r, err := h.sess.Execute(ctx, query)
	if stop != nil {
		stop()
	}
	if err != nil {
		return nil, toMyError(err)
	}
	if r != nil && len(r.Columns) == 0 && r.Info != "" && h.conn != nil {
		return writeOKInfo(h.conn, r)
	}
	return encode(r)
}

func (h *handler) HandleFieldList(table string, wildcard string) ([]*gomysql.Field, error) {
	return nil, nil
}

func (h *handler) HandleStmtPrepare(query string) (int, int, interface{}, error) {
	return 0, 0, nil, gomysql.NewError(gomysql.ER_UNSUPPORTED_PS, "prepared statements are not supported yet; use the text protocol")
}

func (h *handler) HandleStmtExecute(ctx interface{}, query string, args []interface{}) (*gomysql.Result, error) {
	return nil, gomysql.NewError(gomysql.ER_UNSUPPORTED_PS, "prepared statements are not supported yet")
}

func (h *handler) HandleStmtClose(ctx interface{}) error { return nil }

func (h *handler) HandleOtherCommand(cmd byte, data []byte) error {
	return gomysql.NewError(gomysql.ER_UNKNOWN_COM_ERROR, fmt.Sprintf("command %d is not supported", cmd))
}

func encode(r *Result) (*gomysql.Result, error) {
	if r == nil || len(r.Columns) == 0 {
		res := gomysql.NewResultReserveResultset(0)
		res.Resultset = nil
		if r != nil {
			res.AffectedRows = r.AffectedRows
			res.Warnings = r.Warnings
		}
		return res, nil
	}
	rs := gomysql.NewResultset(len(r.Columns))
	for i, c := range r.Columns {
		rs.Fields[i] = field(c)
	}
	for _, row := range r.Rows {
		var data []byte
		for _, v := range row {
			if v == nil {
				data = append(data, 0xfb)
			} else {
				data = append(data, gomysql.PutLengthEncodedString(v)...)
			}
		}
		rs.RowDatas = append(rs.RowDatas, data)
	}
	return gomysql.NewResult(rs), nil
}

func field(c Column) *gomysql.Field {
	f := &gomysql.Field{Name: []byte(c.Name), OrgName: []byte(c.Name), Charset: 63}
	t := c.Type
	switch t.Kind {
	case types.Boolean, types.TinyInt:
		f.Type, f.ColumnLength = gomysql.MYSQL_TYPE_TINY, 4
	case types.SmallInt:
		f.Type, f.ColumnLength = gomysql.MYSQL_TYPE_SHORT, 6
	case types.Int:
		f.Type, f.ColumnLength = gomysql.MYSQL_TYPE_LONG, 11
	case types.BigInt:
		f.Type, f.ColumnLength = gomysql.MYSQL_TYPE_LONGLONG, 20
	case types.Float:
		f.Type, f.ColumnLength, f.Decimal = gomysql.MYSQL_TYPE_FLOAT, 12, 31
	case types.Double:
		f.Type, f.ColumnLength, f.Decimal = gomysql.MYSQL_TYPE_DOUBLE, 22, 31
	case types.Decimal:
		f.Type, f.ColumnLength, f.Decimal = gomysql.MYSQL_TYPE_NEWDECIMAL, uint32(t.Precision+2), uint8(t.Scale)
	case types.Date:
		f.Type, f.ColumnLength = gomysql.MYSQL_TYPE_DATE, 10
	case types.DateTime:
		f.Type, f.ColumnLength, f.Decimal = gomysql.MYSQL_TYPE_DATETIME, uint32(19+t.Scale), uint8(t.Scale)
	default: // strings, LARGEINT (as Doris, a string), NULL
		f.Type, f.Charset, f.ColumnLength = gomysql.MYSQL_TYPE_VAR_STRING, 33, 65533*3
	}
	return f
}

// toMyError maps a classified error to a MySQL error. Errors that already are MySQL errors pass.
func toMyError(err error) error {
	if err == nil {
		return nil
	}
	var me *gomysql.MyError
	if errors.As(err, &me) {
		return me
	}
	code := classify(err)
	msg := err.Error()
	if st, ok := status.FromError(err); ok {
		msg = st.Message() // an error from another role: its text without gRPC's wrapping
	}
	return gomysql.NewError(code, msg)
}
