package filecache

import (
	"os"
	"time"
)

// queueOf is the queue and expiration (Unix seconds) of blocks brought in under h at now.
func (h Hint) queueOf(now time.Time) (Kind, int64) {
	switch {
	case h.Kind == TTL && h.Expiration.After(now):
		return TTL, h.Expiration.Unix()
	case h.Kind >= TTL:
		return Normal, 0
	default:
		return h.Kind, 0
	}
}

// stager collects the blocks of an object being written through the cache: it sees the bytes
// the vault's Put consumes, writes each full block to a temporary file, and after the Put
// succeeds completes the files (their trailers need the object's size) and admits them.
// Any failure only stops the staging; the Put itself never fails because of the cache.
type stager struct {
	c      *Cache
	limit  int64
	buf    []byte
	staged []stagedBlock
	total  int64
	failed bool
	kind   Kind
	exp    int64
}

type stagedBlock struct {
	tmp     string
	dataLen int
	crcs    []uint32
	bytes   int64
	placed  bool
}

// Write implements io.Writer for io.TeeReader; it never fails.
func (s *stager) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && !s.failed {
		if s.buf == nil {
			s.buf = make([]byte, 0, BlockSize)
		}
		k := copy(s.buf[len(s.buf):BlockSize], p)
		s.buf, p = s.buf[:len(s.buf)+k], p[k:]
		if len(s.buf) == BlockSize {
			s.flush()
		}
	}
	return n, nil
}

func (s *stager) fail(err error) {
	s.failed = true
	if err != nil {
		s.c.mu.Lock()
		s.c.writeFailed(err)
		s.c.mu.Unlock()
	}
}

func (s *stager) flush() {
	if len(s.buf) == 0 || s.failed {
		return
	}
	if s.total+int64(len(s.buf)) > s.limit { // larger than the whole cache: not worth it
		s.fail(nil)
		return
	}
	tmp, err := s.c.io.writeTemp(s.buf)
	if err != nil {
		s.fail(err)
		return
	}
	s.staged = append(s.staged, stagedBlock{tmp: tmp, dataLen: len(s.buf), crcs: chunkCRCs(s.buf)})
	s.total += int64(len(s.buf))
	s.buf = s.buf[:0]
}

// finish completes the staged block files of an object of n bytes (outside c.mu).
func (s *stager) finish(f *file, n int64, h Hint) {
	s.flush()
	if s.failed || s.total != n {
		s.failed = true
		return
	}
	s.kind, s.exp = h.queueOf(s.c.now())
	for i := range s.staged {
		sb := &s.staged[i]
		m := blockMeta{key: f.key, index: int64(i), objectSize: n, expiration: s.exp, kind: s.kind, dataLen: sb.dataLen, path: f.path}
		if err := s.c.io.appendFile(sb.tmp, encodeTrailer(&m, sb.crcs)); err != nil {
			s.fail(err)
			return
		}
		sb.bytes = m.fileBytes()
	}
}

// admit puts the completed blocks in the cache. c.mu must be held; f holds no blocks.
func (s *stager) admit(f *file) {
	if s.failed {
		return
	}
	c := s.c
	for i := range s.staged {
		sb := &s.staged[i]
		b := &block{f: f, index: int64(i), kind: s.kind, expiration: s.exp, dataLen: sb.dataLen}
		f.blocks[b.index] = b
		if !c.reserve(b, sb.bytes) || b.kind != s.kind { // no room (or the TTL expired meanwhile)
			c.dropBlock(b)
			return
		}
		if err := c.place(b, sb.tmp); err != nil {
			c.writeFailed(err)
			c.dropBlock(b)
			return
		}
		sb.placed = true
		c.m.writeThroughBytes.Add(int64(sb.dataLen))
	}
}

// cleanup removes the temporary files that were not admitted.
func (s *stager) cleanup() {
	for _, sb := range s.staged {
		if !sb.placed {
			os.Remove(sb.tmp)
		}
	}
}
