package segment

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
	"unsafe"
	"weak"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// strPage is how the Cache holds a decoded page of strings: the page's decoded body and, per
// row, where its value lies in it — no pointer per value. A [][]byte per cached page would be
// tens of millions of pointers over a whole SF1 database, which every GC cycle would mark; data,
// spans and nulls are pointer-free memory the collector does not scan.
//
// Readers get the page as a vector (vector) whose values point into data (no byte is copied).
// The page keeps the vector it made last only weakly (weak.Pointer): readers share it until a
// GC cycle finds no reader holding it, which reclaims it; the next read makes it anew. So the
// headers cost a GC cycle only what readers hold then, and a hot page's vector is made about
// once per GC cycle, not once per read. A strPage never changes once made but for view (under
// mu).
type strPage struct {
	t     types.T
	data  []byte // the page's decoded body (the values are ranges of it)
	spans []strSpan
	nulls vector.Bitmap // nil: no NULLs

	mu   sync.Mutex
	view weak.Pointer[vector.Vector] // the vector made last
}

// strSpan is a row's value: data[off:end]. NULL rows and empty values are {0, 0}.
type strSpan struct{ off, end uint32 }

// newStrPage makes the cached form of v, a page decodePage decoded from body: each of its
// values is empty or a range of body (they alias it). The page takes v as its first view (v
// and its NULL bitmap must never be written again). It returns nil when body is too big for
// 32-bit offsets.
func newStrPage(body []byte, v *vector.Vector) (*strPage, error) {
	if uint64(len(body)) > math.MaxUint32 {
		return nil, nil
	}
	spans := make([]strSpan, len(v.Bytes))
	// The offsets are address differences: decodePage's values alias body (they are never
	// copied), so each one lies within it; the check below holds the decoder to that.
	base := uintptr(unsafe.Pointer(unsafe.SliceData(body)))
	size := uintptr(len(body))
	for i, b := range v.Bytes {
		if len(b) == 0 {
			continue
		}
		off := uintptr(unsafe.Pointer(unsafe.SliceData(b))) - base
		if off > size || uintptr(len(b)) > size-off {
			return nil, fmt.Errorf("BUG: value %d (%d bytes) of a decoded page lies outside its body of %d bytes", i, len(b), len(body))
		}
		spans[i] = strSpan{uint32(off), uint32(off) + uint32(len(b))}
	}
	p := &strPage{t: v.Type, data: body, spans: spans, nulls: v.Nulls}
	p.view = weak.Make(v)
	return p, nil
}

// bytes is what the page holds in memory, for the Cache's accounting (its views are not
// counted: they live as long as readers use them, or to the next GC cycle).
func (p *strPage) bytes() int64 {
	return int64(128 + len(p.nulls)*8 + len(p.spans)*8 + len(p.data))
}

// vector returns the page as a vector whose values point into the page's data: the vector made
// last while the GC has not reclaimed it, else a new one. NULL rows are nil and empty values
// empty, as decodePage leaves them. The vector is shared: never to be written.
func (p *strPage) vector() *vector.Vector {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v := p.view.Value(); v != nil {
		return v
	}
	hdrs := make([][]byte, len(p.spans))
	data := p.data
	for i, s := range p.spans {
		hdrs[i] = data[s.off:s.end:s.end]
	}
	for w, word := range p.nulls {
		for ; word != 0; word &= word - 1 {
			hdrs[w*64+bits.TrailingZeros64(word)] = nil
		}
	}
	v := &vector.Vector{Type: p.t, Bytes: hdrs, Nulls: p.nulls}
	p.view = weak.Make(v)
	return v
}
