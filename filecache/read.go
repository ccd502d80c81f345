package filecache

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/doricdb/doric/vault"
)

// maxPlans bounds how often one read re-plans after blocks vanished under it (evicted,
// invalidated, corrupt, or fetched by a reader that gave up); after that it reads what is left
// straight from the vault.
const maxPlans = 4

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// ReadAt reads through the cache: blocks on disk are read (and verified) locally, missing
// blocks are fetched — one ranged read of the vault per run of consecutive missing blocks,
// shared with any concurrent reader of the same blocks — and then written to the cache.
func (c *Cache) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	if err := vault.ValidatePath(path); err != nil {
		return fmt.Errorf("file cache: read: %w", err)
	}
	if len(p) == 0 {
		return c.inner.ReadAt(ctx, path, p, off)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file cache: read %q: %w", path, err)
	}
	h := HintFrom(ctx)
	f, size, err := c.sizeOf(ctx, path, h.Size)
	if err != nil {
		return fmt.Errorf("file cache: read %q: %w", path, err)
	}
	if f == nil { // a hash collision with a cached path: read around the cache
		c.m.bypass.Add(1)
		c.m.remoteReads.Add(1)
		return c.inner.ReadAt(ctx, path, p, off)
	}
	if off < 0 || off > size || int64(len(p)) > size-off {
		return fmt.Errorf("file cache: read %q [%d,+%d) of %d bytes: %w", path, off, len(p), size, vault.ErrOutOfRange)
	}
	kind, exp := h.queueOf(c.now())
	r := &reader{c: c, f: f, size: size, p: p, off: off, kind: kind, exp: exp, prof: ProfileFrom(ctx)}
	if err := r.run(ctx); err != nil {
		return fmt.Errorf("file cache: read %q: %w", path, err)
	}
	return nil
}

// sizeOf returns the entry of path and the object's size: from the hint, from memory, or from
// one Stat shared by the concurrent readers of a cold object. The entry is nil on a hash
// collision.
func (c *Cache) sizeOf(ctx context.Context, path string, hinted int64) (*file, int64, error) {
	key := keyOf(path)
	for {
		c.mu.Lock()
		f := c.fileFor(key, path)
		if f == nil {
			c.mu.Unlock()
			return nil, 0, nil
		}
		if f.size < 0 && hinted > 0 && f.puts == 0 {
			f.size = hinted
		}
		if f.size >= 0 {
			size := f.size
			c.mu.Unlock()
			return f, size, nil
		}
		fl, owner := f.stat, false
		if fl == nil {
			fl, owner = &sizeFlight{done: make(chan struct{})}, true
			f.stat = fl
		}
		gen := f.gen
		c.mu.Unlock()
		if owner {
			info, err := c.inner.Stat(ctx, path)
			c.m.remoteStats.Add(1)
			c.mu.Lock()
			f.stat = nil
			if err == nil && f.gen == gen && f.puts == 0 {
				f.size = info.Size
			}
			fl.size, fl.err = info.Size, err
			close(fl.done)
			c.mu.Unlock()
			return f, info.Size, err
		}
		select {
		case <-fl.done:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
		if fl.err != nil && isContextErr(fl.err) && ctx.Err() == nil {
			continue // the reader that asked gave up; ask again
		}
		return f, fl.size, fl.err
	}
}

// reader is one ReadAt in progress.
type reader struct {
	c    *Cache
	f    *file
	size int64
	p    []byte
	off  int64
	kind Kind
	exp  int64
	prof *Profile
}

// span is the part of block index that the read wants: [lo, hi) within the block.
func (r *reader) span(index int64) (lo, hi int) {
	start := index * BlockSize
	end := min(start+BlockSize, r.size)
	return int(max(r.off, start) - start), int(min(r.off+int64(len(r.p)), end) - start)
}

// dst is the part of the caller's buffer that block index fills.
func (r *reader) dst(index int64) []byte {
	lo, hi := r.span(index)
	at := index*BlockSize + int64(lo) - r.off
	return r.p[at : at+int64(hi-lo)]
}

type wait struct {
	index int64
	fill  *fill
}

func (r *reader) run(ctx context.Context) error {
	c := r.c
	first, last := r.off/BlockSize, (r.off+int64(len(r.p))-1)/BlockSize
	pending := make([]int64, 0, last-first+1)
	for i := first; i <= last; i++ {
		pending = append(pending, i)
	}
	for plan := 1; len(pending) > 0; plan++ {
		if plan > maxPlans {
			return r.direct(ctx, pending)
		}
		var hits, owned []*block
		var waits []wait
		c.mu.Lock()
		if c.files[r.f.key] != r.f { // the entry was pruned while idle: take the current one
			f := c.fileFor(r.f.key, r.f.path)
			if f == nil {
				c.mu.Unlock()
				return r.direct(ctx, pending)
			}
			if f.size < 0 && f.puts == 0 {
				f.size = r.size
			}
			r.f = f
		}
		if r.f.size >= 0 && r.f.size != r.size { // overwritten through the cache since we looked
			c.mu.Unlock()
			return errChanged
		}
		for _, idx := range pending {
			b := r.f.blocks[idx]
			switch {
			case b == nil:
				b = &block{f: r.f, index: idx, kind: r.kind, expiration: r.exp, fill: &fill{done: make(chan struct{})}}
				r.f.blocks[idx] = b
				owned = append(owned, b)
			case b.fill != nil:
				waits = append(waits, wait{idx, b.fill})
			default:
				b.refs++
				c.queues[b.kind].lru.MoveToFront(b.elem)
				hits = append(hits, b)
			}
		}
		c.mu.Unlock()
		pending = pending[:0]

		// Fetch what this reader owns first (others may be waiting for it), one ranged read per
		// run of consecutive blocks; then read the hits; then wait for other readers' fetches.
		var err error
		for len(owned) > 0 {
			n := 1
			for n < len(owned) && owned[n].index == owned[n-1].index+1 {
				n++
			}
			run := owned[:n]
			owned = owned[n:]
			if err == nil {
				err = r.fetch(ctx, run)
			} else {
				r.abandon(run, err)
			}
		}
		for _, b := range hits {
			if err != nil {
				r.unpin(b, false)
				continue
			}
			if !r.readHit(b) {
				pending = append(pending, b.index)
			}
		}
		if err != nil {
			return err
		}
		for _, w := range waits {
			select {
			case <-w.fill.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			lo, hi := r.span(w.index)
			switch {
			case w.fill.err == nil && hi > len(w.fill.data):
				return errChanged // fetched for another size of the object
			case w.fill.err == nil:
				n := copy(r.dst(w.index), w.fill.data[lo:hi])
				c.m.remoteBytes.Add(int64(n))
				r.prof.addRemote(n)
			case isContextErr(w.fill.err) && ctx.Err() == nil:
				pending = append(pending, w.index) // its reader gave up: fetch it ourselves
			default:
				return w.fill.err
			}
		}
	}
	return nil
}

// abandon fails blocks this reader will not fetch, releasing their waiters.
func (r *reader) abandon(run []*block, err error) {
	r.c.mu.Lock()
	for _, b := range run {
		r.c.dropBlock(b)
		b.fill.err = err
		close(b.fill.done)
	}
	r.c.mu.Unlock()
}

// fetch reads a run of consecutive missing blocks with one request (to a peer, else the vault),
// hands their data to the waiting readers and the caller, and writes them to the cache.
func (r *reader) fetch(ctx context.Context, run []*block) error {
	c := r.c
	start := run[0].index * BlockSize
	end := min((run[len(run)-1].index+1)*BlockSize, r.size)
	buf := make([]byte, end-start)
	fromPeer := false
	if c.cfg.PeerRead != nil {
		c.m.peerReads.Add(1)
		fromPeer = c.cfg.PeerRead(ctx, r.f.path, start, buf) == nil
	}
	if !fromPeer {
		c.m.remoteReads.Add(1)
		if err := c.inner.ReadAt(ctx, r.f.path, buf, start); err != nil {
			r.abandon(run, err)
			return err
		}
	}
	c.m.missBlocks.Add(int64(len(run)))
	if fromPeer {
		c.m.peerFetchedBytes.Add(int64(len(buf)))
	} else {
		c.m.fetchedBytes.Add(int64(len(buf)))
	}
	for _, b := range run {
		data := buf[b.index*BlockSize-start : min((b.index+1)*BlockSize, end)-start]
		b.dataLen = len(data)
		b.fill.data = data
		close(b.fill.done)
		lo, hi := r.span(b.index)
		n := copy(r.dst(b.index), data[lo:hi])
		if fromPeer {
			c.m.peerBytes.Add(int64(n))
		} else {
			c.m.remoteBytes.Add(int64(n))
		}
		r.prof.addRemote(n)
	}
	for _, b := range run {
		c.admit(b, b.fill.data, r.size)
	}
	return nil
}

// unpin releases a hit; a block that failed to read is dropped (once).
func (r *reader) unpin(b *block, failed bool) {
	r.c.mu.Lock()
	b.refs--
	if failed {
		r.c.dropBlock(b)
	}
	r.c.mu.Unlock()
}

var errCorrupt = errors.New("checksum mismatch")

// errChanged: the object was replaced (through this cache) while a read of it was in flight.
// Retrying reads the new object.
var errChanged = fmt.Errorf("the object changed during the read: %w", vault.ErrUnavailable)

// readHit copies the wanted part of a block on disk into the caller's buffer after verifying
// the trailer and the chunks it reads. On failure the block is dropped and false returned: the
// caller fetches it again.
func (r *reader) readHit(b *block) bool {
	c := r.c
	lo, hi := r.span(b.index)
	if hi > b.dataLen { // a block of another size of the object: not ours to read
		r.unpin(b, false)
		return false
	}
	err := c.readBlock(b, lo, hi, r.dst(b.index))
	if err != nil {
		if errors.Is(err, errCorrupt) {
			c.m.corrupt.Add(1)
			c.log.Warn("dropping a corrupt cache block", "path", b.f.path, "block", b.index, "err", err)
		}
		r.unpin(b, true)
		return false
	}
	r.unpin(b, false)
	c.m.hitBlocks.Add(1)
	c.m.hitBytes.Add(int64(hi - lo))
	r.prof.addCache(hi - lo)
	return true
}

// verifyTrailer reads and checks the trailer of b's file and returns its chunk CRCs.
func (c *Cache) verifyTrailer(fh *os.File, b *block) ([]uint32, error) {
	tail := make([]byte, len(b.f.path)+4*numChunks(b.dataLen)+footerSize)
	if _, err := fh.ReadAt(tail, int64(b.dataLen)); err != nil {
		return nil, fmt.Errorf("%w: trailer: %v", errCorrupt, err)
	}
	m, crcs, err := decodeTrailer(tail)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if m.path != b.f.path || m.index != b.index || m.dataLen != b.dataLen {
		return nil, fmt.Errorf("%w: holds block %d (%d bytes) of %q", errCorrupt, m.index, m.dataLen, m.path)
	}
	return crcs, nil
}

// readBlock reads [lo, hi) of block b's data from its file into dst, verifying every chunk it
// touches (the trailer was verified when the file was opened). b is pinned.
func (c *Cache) readBlock(b *block, lo, hi int, dst []byte) error {
	fh, crcs, err := c.handle(b)
	if err != nil {
		return err
	}
	c0, c1 := lo/ChunkSize, (hi-1)/ChunkSize
	start, end := c0*ChunkSize, min((c1+1)*ChunkSize, b.dataLen)
	var buf []byte
	if lo == start && hi == end {
		buf = dst // whole chunks: read straight into the caller's buffer
	} else {
		bp := c.bufs.Get().(*[]byte)
		defer c.bufs.Put(bp)
		buf = (*bp)[:end-start]
	}
	if n, err := fh.ReadAt(buf, int64(start)); n != len(buf) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if errors.Is(err, os.ErrClosed) {
			return err // closed under us: not corrupt, just gone
		}
		return fmt.Errorf("%w: data: %v", errCorrupt, err)
	}
	for i := c0; i <= c1; i++ {
		chunk := buf[i*ChunkSize-start : min((i+1)*ChunkSize, b.dataLen)-start]
		if got := crc32.Checksum(chunk, castagnoli); got != crcs[i] {
			return fmt.Errorf("%w: chunk %d: crc %08x, stored %08x", errCorrupt, i, got, crcs[i])
		}
	}
	if len(buf) > 0 && &buf[0] != &dst[0] {
		copy(dst, buf[lo-start:hi-start])
	}
	return nil
}

// direct reads blocks straight from the vault, bypassing the cache.
func (r *reader) direct(ctx context.Context, pending []int64) error {
	for _, idx := range pending {
		lo, _ := r.span(idx)
		dst := r.dst(idx)
		r.c.m.remoteReads.Add(1)
		r.c.m.bypass.Add(1)
		if err := r.c.inner.ReadAt(ctx, r.f.path, dst, idx*BlockSize+int64(lo)); err != nil {
			return err
		}
		r.c.m.remoteBytes.Add(int64(len(dst)))
		r.prof.addRemote(len(dst))
	}
	return nil
}
