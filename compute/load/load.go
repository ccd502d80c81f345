package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/doricdb/doric/api/commonpb"
	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/model"
	"github.com/doricdb/doric/compute/segment"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
	"github.com/doricdb/doric/vault"
)

var (
	// ErrInvalidInput classifies rows or sinks that are wrong: the message says what and where.
	ErrInvalidInput = errors.New("invalid load input")
	// ErrUnsupported classifies valid requests this slice does not implement.
	ErrUnsupported = errors.New("not supported")
)

// Loader writes load rows into tablets. See the package doc.
type Loader struct {
	Meta       metapb.MetaServiceClient
	InstanceID string
	Vaults     vault.Resolver
	Segment    segment.Options
	Parallel   int // concurrent tablet uploads; 0 means 4
	// FlushBytes is a memtable's size at which it is flushed as a segment (0: DefaultFlushBytes);
	// MaxSegments is how many segments a DUPLICATE rowset may have before Close merges them (0:
	// DefaultMaxSegments). See Session.
	FlushBytes  int64
	MaxSegments int
	Now         func() time.Time // nil means time.Now
	// MaxTabletVersionNum refuses loads into tablets with this many visible rowsets with Doris's
	// -235 (TooManyVersionsError); 0 means DefaultMaxTabletVersionNum, negative: no limit.
	MaxTabletVersionNum int
	// Written, when set, is called after a successful Write with the tablets that got a rowset
	// (the node's compactor tracks them).
	Written func(sink *computepb.TabletSink, tabletIDs []int64)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}

// tabletRows is the work for one tablet.
type tabletRows struct {
	tabletID  int64
	partition int64
	rows      []int32
}

// Write handles one WriteRequest: a Session with one Append. See the package doc.
func (l *Loader) Write(ctx context.Context, req *computepb.WriteRequest) (*computepb.WriteResponse, error) {
	if req.GetDeletePredicate() != nil {
		return l.writeDelete(ctx, req)
	}
	s, err := l.Open(ctx, req.GetLoadId(), req.GetTxnId(), req.GetSink()) // checks the sink
	if err != nil {
		return nil, err
	}
	b, err := vector.FromProto(req.GetRows())
	if err != nil {
		s.Abort()
		return nil, invalid("rows: %v", err)
	}
	if err := s.Append(ctx, b); err != nil {
		s.Abort()
		return nil, err
	}
	return s.Close(ctx)
}

func checkSink(req *computepb.WriteRequest) error {
	sink := req.GetSink()
	schema := sink.GetSchema()
	switch {
	case req.GetTxnId() == 0:
		return invalid("no txn id")
	case sink == nil || schema == nil || len(schema.GetColumns()) == 0:
		return invalid("no tablet sink schema")
	case schema.GetNumKeyColumns() < 0 || int(schema.GetNumKeyColumns()) > len(schema.GetColumns()):
		return invalid("%d key columns of %d", schema.GetNumKeyColumns(), len(schema.GetColumns()))
	case len(sink.GetPartitions()) == 0:
		return invalid("no partitions")
	case len(sink.GetPartitions()) > 1:
		return fmt.Errorf("rows for %d partitions in one write request (send one request per partition): %w", len(sink.GetPartitions()), ErrUnsupported)
	case len(sink.GetPartitions()[0].GetTabletIds()) == 0:
		return invalid("partition %d has no tablets", sink.GetPartitions()[0].GetPartitionId())
	}
	if _, err := model.ForSchema(schema); err != nil {
		return invalid("tablet schema: %v", err)
	}
	seen := map[int32]bool{}
	for _, c := range schema.GetColumns() {
		t := types.FromProto(c.GetType())
		if err := t.Validate(); err != nil || t.Kind >= types.Null {
			return invalid("column %q has type %s", c.GetName(), t)
		}
		if seen[c.GetUniqueId()] {
			return invalid("duplicate column unique id %d", c.GetUniqueId())
		}
		seen[c.GetUniqueId()] = true
	}
	for _, d := range sink.GetDistributionColumns() {
		if d < 0 || int(d) >= len(schema.GetColumns()) {
			return invalid("distribution column %d of %d", d, len(schema.GetColumns()))
		}
	}
	return nil
}

func sameType(have, want types.T) bool {
	if have.IsString() && want.IsString() {
		return true
	}
	return have == want || (have.Kind == want.Kind && have.Kind != types.Decimal && have.Kind != types.DateTime)
}

var (
	minDate = types.DaysFromCivil(0, 1, 1)
	maxDate = types.DaysFromCivil(9999, 12, 31)
)

// checkRows validates b against the schema: column count and types, nullability, ranges.
func checkRows(schema *commonpb.TabletSchema, b *vector.Batch) error {
	cols := schema.GetColumns()
	if len(b.Cols) != len(cols) {
		return invalid("rows have %d columns, the table %d", len(b.Cols), len(cols))
	}
	for k, c := range cols {
		v := b.Cols[k]
		t := types.FromProto(c.GetType())
		if !sameType(v.Type, t) {
			return invalid("column %q is %s, rows carry %s", c.GetName(), t, v.Type)
		}
		var maxDec types.Int128 // once per column: MaxUnscaled is big-number arithmetic
		if t.Kind == types.Decimal {
			maxDec = types.MaxUnscaled(t.Precision)
		}
		for i := range b.N {
			if v.IsNull(i) {
				if !c.GetNullable() {
					return invalid("column %q is NOT NULL, row %d is NULL", c.GetName(), i+1)
				}
				continue
			}
			if !inRange(t, maxDec, v, i) {
				return invalid("column %q row %d: value %q out of range for %s", c.GetName(), i+1, v.Format(i), t)
			}
		}
	}
	return nil
}

// inRange says whether row i of v fits t; maxDec is types.MaxUnscaled(t.Precision) for DECIMAL.
func inRange(t types.T, maxDec types.Int128, v *vector.Vector, i int) bool {
	switch t.Kind {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int:
		lo, hi := types.IntegerRange(t.Kind)
		return v.Int64[i] >= lo && v.Int64[i] <= hi
	case types.Decimal:
		var x types.Int128
		if t.Physical() == types.PhysInt128 {
			x = v.Int128[i]
		} else {
			x = types.I128(v.Int64[i])
		}
		return x.Cmp(maxDec) <= 0 && x.Cmp(maxDec.Neg()) >= 0
	case types.Date:
		return v.Int64[i] >= minDate && v.Int64[i] <= maxDate
	case types.DateTime:
		const day = 86400 * 1_000_000
		return v.Int64[i] >= minDate*day && v.Int64[i] < (maxDate+1)*day
	case types.Char, types.Varchar:
		return t.Length <= 0 || len(v.Bytes[i]) <= int(t.Length)
	}
	return true
}

// route assigns every row to its tablet; tablets appear in bucket order.
func route(b *vector.Batch, distCols []int32, part *computepb.PartitionSink) []*tabletRows {
	tablets := part.GetTabletIds()
	nb := len(tablets)
	buckets := make([]int32, b.N)
	rows := vector.Identity(nil, b.N)
	if len(distCols) == 0 {
		start := mrand.IntN(nb)
		for i := range buckets {
			buckets[i] = int32((start + i) % nb)
		}
	} else {
		cols := make([]*vector.Vector, len(distCols))
		for k, d := range distCols {
			cols[k] = b.Cols[d]
		}
		hashes := make([]uint32, b.N)
		DistributionHash(cols, rows, hashes)
		for i, h := range hashes {
			buckets[i] = int32(h % uint32(nb))
		}
	}
	byBucket := make([]*tabletRows, nb)
	var out []*tabletRows
	for _, i := range rows {
		bk := buckets[i]
		if byBucket[bk] == nil {
			byBucket[bk] = &tabletRows{tabletID: tablets[bk], partition: part.GetPartitionId()}
		}
		byBucket[bk].rows = append(byBucket[bk].rows, i)
	}
	for _, w := range byBucket {
		if w != nil {
			out = append(out, w)
		}
	}
	return out
}

func newRowsetID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error on Linux)
	return hex.EncodeToString(b[:])
}
