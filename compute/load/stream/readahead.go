package stream

import "github.com/doricdb/doric/compute/load/format"

// readAheadChunks is how many chunks the reader may parse ahead of the converter.
const readAheadChunks = 4

// aheadReader runs a format.Reader on a goroutine of its own, so that parsing the body (and
// reading it from the network) overlaps converting the chunks already parsed. The reader is
// used by that goroutine only (format's contract: one goroutine); chunks arrive in order.
type aheadReader struct {
	ch   chan chunkOrErr
	quit chan struct{}
	err  error // the reader's last answer, once seen
}

type chunkOrErr struct {
	c   *format.Chunk
	err error
}

func readAhead(rd format.Reader) *aheadReader {
	a := &aheadReader{ch: make(chan chunkOrErr, readAheadChunks), quit: make(chan struct{})}
	go func() {
		for {
			c, err := rd.Next()
			select {
			case a.ch <- chunkOrErr{c, err}:
			case <-a.quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return a
}

// next returns the reader's next chunk or its error (io.EOF at the end), as Reader.Next.
func (a *aheadReader) next() (*format.Chunk, error) {
	if a.err != nil {
		return nil, a.err
	}
	r := <-a.ch
	if r.err != nil {
		a.err = r.err
	}
	return r.c, r.err
}

// stop lets the goroutine end without reading further. It does not wait: a reader blocked on
// the body returns when the body fails (the load's context ends or the request is over).
func (a *aheadReader) stop() { close(a.quit) }
