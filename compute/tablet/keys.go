package tablet

import (
	"bytes"
	"container/list"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

// AppendKey appends the memcomparable encoding of row i of cols to dst: byte strings that
// compare (bytes.Compare) as the tuples compare in segment sort order (NULL first, then values
// in SQL order), and that are equal exactly when the tuples are equal as keys. Per column:
//
//	NULL                          0x00
//	otherwise 0x01 followed by
//	  64-bit physical types       8 bytes big-endian, sign bit flipped
//	  LARGEINT, wide DECIMAL      the high word as above, then the low word big-endian
//	  FLOAT, DOUBLE               the IEEE bits (-0 as +0, one NaN, after +Inf), big-endian,
//	                              negative values inverted, positive ones with the sign flipped
//	  strings                     bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//	                              (CHAR without trailing spaces)
//
// The encoding lives only in memory (the key cache): nothing persists it.
func AppendKey(dst []byte, cols []*vector.Vector, i int) []byte {
	for _, v := range cols {
		dst = appendValue(dst, v, i)
	}
	return dst
}

func appendValue(dst []byte, v *vector.Vector, i int) []byte {
	if v.IsNull(i) {
		return append(dst, 0x00)
	}
	dst = append(dst, 0x01)
	switch v.Type.Physical() {
	case types.PhysInt64:
		return binary.BigEndian.AppendUint64(dst, uint64(v.Int64[i])^(1<<63))
	case types.PhysInt128:
		x := v.Int128[i]
		dst = binary.BigEndian.AppendUint64(dst, uint64(x.Hi)^(1<<63))
		return binary.BigEndian.AppendUint64(dst, x.Lo)
	case types.PhysFloat64:
		f := v.Float64[i]
		switch {
		case f == 0:
			f = 0
		case math.IsNaN(f):
			f = math.NaN()
		}
		b := math.Float64bits(f)
		if b&(1<<63) != 0 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		return binary.BigEndian.AppendUint64(dst, b)
	}
	s := v.Bytes[i]
	if v.Type.Kind == types.Char {
		s = bytes.TrimRight(s, " ")
	}
	for {
		k := bytes.IndexByte(s, 0)
		if k < 0 {
			break
		}
		dst = append(dst, s[:k+1]...)
		dst = append(dst, 0xFF)
		s = s[k+1:]
	}
	dst = append(dst, s...)
	return append(dst, 0x00, 0x01)
}

// SegmentKeys is the primary-key index of one segment of a merge-on-write tablet. Doris keeps
// a separate primary-key index file per segment; Doric's segments are sorted by the key and a
// merge-on-write segment holds each key once, so the key columns themselves are the index: a
// SegmentKeys holds them encoded by AppendKey (one byte string per row, in row order, which is
// key order) together with each row's sequence value (encoded the same way), and lookups
// binary-search them. Immutable once built; safe for concurrent use.
type SegmentKeys struct {
	keys    []byte
	offs    []uint32 // row r's key is keys[offs[r]:offs[r+1]]
	order   []int32  // rows in key order when the row order is not (never, for sorted segments)
	seq     []byte
	seqOffs []uint32 // nil: no sequence column
}

// BuildSegmentKeys encodes n rows of the key columns (and of the sequence column, nil for none).
func BuildSegmentKeys(keyCols []*vector.Vector, seq *vector.Vector, n int) *SegmentKeys {
	s := &SegmentKeys{offs: make([]uint32, 1, n+1)}
	var one [1]*vector.Vector
	if seq != nil {
		s.seqOffs = make([]uint32, 1, n+1)
		one[0] = seq
	}
	for i := range n {
		s.keys = AppendKey(s.keys, keyCols, i)
		s.offs = append(s.offs, uint32(len(s.keys)))
		if seq != nil {
			s.seq = AppendKey(s.seq, one[:], i)
			s.seqOffs = append(s.seqOffs, uint32(len(s.seq)))
		}
	}
	for r := 1; r < n; r++ {
		if bytes.Compare(s.Key(r-1), s.Key(r)) > 0 {
			s.order = vector.Identity(nil, n)
			sort.SliceStable(s.order, func(a, b int) bool { return bytes.Compare(s.Key(int(s.order[a])), s.Key(int(s.order[b]))) < 0 })
			break
		}
	}
	return s
}

// Rows is the number of rows.
func (s *SegmentKeys) Rows() int { return len(s.offs) - 1 }

// Key is the encoded key of row r.
func (s *SegmentKeys) Key(r int) []byte { return s.keys[s.offs[r]:s.offs[r+1]] }

// HasSeq reports whether the rows carry sequence values.
func (s *SegmentKeys) HasSeq() bool { return s.seqOffs != nil }

// Seq is the encoded sequence value of row r (nil without a sequence column). Encoded sequence
// values compare with bytes.Compare: NULL is the smallest.
func (s *SegmentKeys) Seq(r int) []byte {
	if s.seqOffs == nil {
		return nil
	}
	return s.seq[s.seqOffs[r]:s.seqOffs[r+1]]
}

func (s *SegmentKeys) row(pos int) int {
	if s.order != nil {
		return int(s.order[pos])
	}
	return pos
}

// Min and Max are the smallest and largest encoded keys (nil for an empty segment).
func (s *SegmentKeys) Min() []byte {
	if s.Rows() == 0 {
		return nil
	}
	return s.Key(s.row(0))
}

// Max: see Min.
func (s *SegmentKeys) Max() []byte {
	if s.Rows() == 0 {
		return nil
	}
	return s.Key(s.row(s.Rows() - 1))
}

// Find calls fn with every row whose key equals key, in row order, until fn returns false.
func (s *SegmentKeys) Find(key []byte, fn func(row int) bool) {
	n := s.Rows()
	if n == 0 || bytes.Compare(key, s.Min()) < 0 || bytes.Compare(key, s.Max()) > 0 {
		return
	}
	pos := sort.Search(n, func(p int) bool { return bytes.Compare(s.Key(s.row(p)), key) >= 0 })
	for ; pos < n; pos++ {
		r := s.row(pos)
		if !bytes.Equal(s.Key(r), key) || !fn(r) {
			return
		}
	}
}

// Size is the memory the index holds, in bytes (what the cache accounts).
func (s *SegmentKeys) Size() int64 {
	return int64(len(s.keys) + 4*len(s.offs) + 4*len(s.order) + len(s.seq) + 4*len(s.seqOffs) + 64)
}

// KeyCache is a per-node LRU cache of SegmentKeys by segment path (segments are immutable and
// uniquely named, so entries never go stale), bounded by the bytes they hold. Safe for
// concurrent use.
type KeyCache struct {
	mu       sync.Mutex
	capacity int64
	size     int64
	lru      *list.List // front: most recent; values *keyEntry
	byPath   map[string]*list.Element
	hits     int64
	misses   int64
}

type keyEntry struct {
	path string
	keys *SegmentKeys
}

// DefaultKeyCacheBytes is the default capacity of a node's key cache.
const DefaultKeyCacheBytes = 256 << 20

// NewKeyCache returns a cache holding at most capacity bytes (DefaultKeyCacheBytes when <= 0).
func NewKeyCache(capacity int64) *KeyCache {
	if capacity <= 0 {
		capacity = DefaultKeyCacheBytes
	}
	return &KeyCache{capacity: capacity, lru: list.New(), byPath: map[string]*list.Element{}}
}

func (c *KeyCache) get(path string) *SegmentKeys {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byPath[path]
	if !ok {
		c.misses++
		return nil
	}
	c.hits++
	c.lru.MoveToFront(e)
	return e.Value.(*keyEntry).keys
}

func (c *KeyCache) put(path string, k *SegmentKeys) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byPath[path]; ok {
		return
	}
	c.byPath[path] = c.lru.PushFront(&keyEntry{path: path, keys: k})
	c.size += k.Size()
	for c.size > c.capacity && c.lru.Len() > 1 {
		last := c.lru.Back()
		ent := last.Value.(*keyEntry)
		c.lru.Remove(last)
		delete(c.byPath, ent.path)
		c.size -= ent.keys.Size()
	}
}

// Stats returns the hits, misses and bytes held.
func (c *KeyCache) Stats() (hits, misses, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses, c.size
}

// keyColumns are the unique ids of the key columns of schema and of its sequence column (0 for
// none).
func keyColumns(schema *commonpb.TabletSchema) (keys []*commonpb.Column, seq *commonpb.Column, err error) {
	cols := schema.GetColumns()
	nk := int(schema.GetNumKeyColumns())
	if nk <= 0 || nk > len(cols) {
		return nil, nil, fmt.Errorf("%d key columns of %d", nk, len(cols))
	}
	if schema.SequenceColIdx != nil {
		i := int(schema.GetSequenceColIdx())
		if i < 0 || i >= len(cols) {
			return nil, nil, fmt.Errorf("sequence column %d of %d", i, len(cols))
		}
		seq = cols[i]
	}
	return cols[:nk], seq, nil
}

// SegmentKeys returns the primary-key index of segment seg of rowset rs (through Reader.Keys
// when set). mayHold, when not nil, is asked first with the open segment: returning false skips
// the segment (nil, nil) without reading its key columns — callers use the segment's zone maps.
func (r *Reader) SegmentKeys(ctx context.Context, schema *commonpb.TabletSchema, rs *metapb.RowsetMeta, seg int, mayHold func(*segment.Segment) bool) (*SegmentKeys, error) {
	path := vault.SegmentPath(rs.GetTabletId(), rs.GetRowsetId(), seg)
	if r.Keys != nil {
		if k := r.Keys.get(path); k != nil {
			return k, nil
		}
	}
	keyCols, seqCol, err := keyColumns(schema)
	if err != nil {
		return nil, fmt.Errorf("tablet %d: %w", rs.GetTabletId(), err)
	}
	st, err := r.Vaults(ctx, rs.GetVaultId())
	if err != nil {
		return nil, fmt.Errorf("tablet %d rowset %s: vault %q: %w", rs.GetTabletId(), rs.GetRowsetId(), rs.GetVaultId(), err)
	}
	size := int64(-1)
	if sizes := rs.GetSegmentSizes(); len(sizes) > seg {
		size = sizes[seg]
	}
	sg, err := segment.Open(ctx, st, path, size)
	if err != nil {
		return nil, fmt.Errorf("tablet %d: %w", rs.GetTabletId(), err)
	}
	if mayHold != nil && !mayHold(sg) {
		return nil, nil
	}
	want := append(append([]*commonpb.Column(nil), keyCols...), seqCol)
	if seqCol == nil {
		want = want[:len(keyCols)]
	}
	var idx []int
	at := make([]int, len(want)) // position among the iterator's columns, -1: missing (NULL)
	for k, c := range want {
		ci := sg.FindColumn(c.GetUniqueId())
		if ci < 0 {
			if k < len(keyCols) {
				return nil, fmt.Errorf("tablet %d: segment %s lacks key column %q", rs.GetTabletId(), path, c.GetName())
			}
			at[k] = -1
			continue
		}
		at[k] = len(idx)
		idx = append(idx, ci)
	}
	n := int(sg.NumRows())
	all := make([]*vector.Vector, len(want))
	for k, c := range want {
		all[k] = vector.NewWithCap(types.FromProto(c.GetType()), n)
	}
	it := sg.NewIterator(idx, segment.IteratorOptions{})
	for {
		b, err := it.Next(ctx)
		if err != nil {
			return nil, fmt.Errorf("tablet %d: %w", rs.GetTabletId(), err)
		}
		if b == nil {
			break
		}
		for k := range want {
			if at[k] < 0 {
				for range b.N {
					all[k].AppendNull()
				}
				continue
			}
			all[k].AppendRange(b.Cols[at[k]], 0, b.N)
		}
	}
	var seqV *vector.Vector
	if seqCol != nil {
		seqV = all[len(keyCols)]
	}
	k := BuildSegmentKeys(all[:len(keyCols)], seqV, n)
	if r.Keys != nil {
		r.Keys.put(path, k)
	}
	return k, nil
}
