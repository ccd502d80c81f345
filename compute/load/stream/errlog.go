package stream

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// ErrorLogs keeps the rejected-row reports of recent loads in memory, served at
// /api/_load_error_log?file=<id> (Doris's error URL). Reports are bounded in number of rows
// (MaxErrorRows per load) and the store in bytes (the oldest reports go first) and in age.
// Compute nodes own no durable state: a node restart forgets the reports.
type ErrorLogs struct {
	MaxBytes int64         // default 64 MiB
	TTL      time.Duration // default 48 h (Doris's load_error_log_reserve_hours)

	mu    sync.Mutex
	logs  map[string]*errorLog
	order []string
	bytes int64
}

type errorLog struct {
	text    []byte
	created time.Time
}

// MaxErrorRows is how many rejected rows a load's report lists.
const MaxErrorRows = 10000

// Put stores a report and returns its id.
func (s *ErrorLogs) Put(text []byte) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := "error_log_" + hex.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logs == nil {
		s.logs = map[string]*errorLog{}
	}
	maxBytes, ttl := s.MaxBytes, s.TTL
	if maxBytes <= 0 {
		maxBytes = 64 << 20
	}
	if ttl <= 0 {
		ttl = 48 * time.Hour
	}
	now := time.Now()
	s.logs[id] = &errorLog{text: text, created: now}
	s.order = append(s.order, id)
	s.bytes += int64(len(text))
	for len(s.order) > 1 && (s.bytes > maxBytes || now.Sub(s.logs[s.order[0]].created) > ttl) {
		old := s.order[0]
		s.order = s.order[1:]
		s.bytes -= int64(len(s.logs[old].text))
		delete(s.logs, old)
	}
	return id
}

// Get returns a stored report.
func (s *ErrorLogs) Get(id string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.logs[id]
	if !ok {
		return nil, false
	}
	return l.text, true
}

// ServeHTTP serves GET /api/_load_error_log?file=<id>.
func (s *ErrorLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	text, ok := s.Get(r.URL.Query().Get("file"))
	if !ok {
		http.Error(w, "no such error log (it may have expired)", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(text)
}
