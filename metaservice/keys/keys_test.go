package keys

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// kind ties a key kind's constructor to its decoder, for the golden tests. args are string or
// int64 in constructor order, the instance id first.
type kind struct {
	types string // 's' string, 'i' int64, per argument
	build func(a []any) []byte
	parse func(k []byte) ([]any, error)
}

func s(a any) string { return a.(string) }
func n(a any) int64  { return a.(int64) }

var kinds = map[string]kind{
	"instance": {"s", func(a []any) []byte { return Instance(s(a[0])) },
		func(k []byte) ([]any, error) { v, err := ParseInstance(k); return []any{v}, err }},
	"compute_group": {"ss", func(a []any) []byte { return ComputeGroup(s(a[0]), s(a[1])) },
		func(k []byte) ([]any, error) { v, err := ParseComputeGroup(k); return []any{v.Instance, v.Name}, err }},
	"compute_node": {"sss", func(a []any) []byte { return ComputeNode(s(a[0]), s(a[1]), s(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseComputeNode(k)
			return []any{v.Instance, v.Group, v.NodeID}, err
		}},
	"counter": {"ss", func(a []any) []byte { return Counter(s(a[0]), s(a[1])) },
		func(k []byte) ([]any, error) { v, err := ParseCounter(k); return []any{v.Instance, v.Name}, err }},
	"tablet": {"siiii", func(a []any) []byte { return Tablet(s(a[0]), n(a[1]), n(a[2]), n(a[3]), n(a[4])) },
		func(k []byte) ([]any, error) {
			v, err := ParseTablet(k)
			return []any{v.Instance, v.TableID, v.IndexID, v.PartitionID, v.TabletID}, err
		}},
	"tablet_index": {"si", func(a []any) []byte { return TabletIndex(s(a[0]), n(a[1])) },
		func(k []byte) ([]any, error) {
			v, err := ParseTabletIndex(k)
			return []any{v.Instance, v.TabletID}, err
		}},
	"rowset": {"sii", func(a []any) []byte { return Rowset(s(a[0]), n(a[1]), n(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseRowset(k)
			return []any{v.Instance, v.TabletID, v.EndVersion}, err
		}},
	"rowset_tmp": {"sii", func(a []any) []byte { return RowsetTmp(s(a[0]), n(a[1]), n(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseRowsetTmp(k)
			return []any{v.Instance, v.TxnID, v.TabletID}, err
		}},
	"recycle_rowset": {"sis", func(a []any) []byte { return RecycleRowset(s(a[0]), n(a[1]), s(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseRecycleRowset(k)
			return []any{v.Instance, v.TabletID, v.RowsetID}, err
		}},
	"storage_vault": {"ss", func(a []any) []byte { return StorageVault(s(a[0]), s(a[1])) },
		func(k []byte) ([]any, error) {
			v, err := ParseStorageVault(k)
			return []any{v.Instance, v.VaultID}, err
		}},
	"txn_index": {"si", func(a []any) []byte { return TxnIndex(s(a[0]), n(a[1])) },
		func(k []byte) ([]any, error) { v, err := ParseTxnIndex(k); return []any{v.Instance, v.TxnID}, err }},
	"txn_info": {"sii", func(a []any) []byte { return TxnInfo(s(a[0]), n(a[1]), n(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseTxnInfo(k)
			return []any{v.Instance, v.DBID, v.TxnID}, err
		}},
	"txn_label": {"sis", func(a []any) []byte { return TxnLabel(s(a[0]), n(a[1]), s(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseTxnLabel(k)
			return []any{v.Instance, v.DBID, v.Label}, err
		}},
	"txn_running": {"sii", func(a []any) []byte { return TxnRunning(s(a[0]), n(a[1]), n(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseTxnRunning(k)
			return []any{v.Instance, v.DBID, v.TxnID}, err
		}},
	"partition_version": {"siii", func(a []any) []byte { return PartitionVersion(s(a[0]), n(a[1]), n(a[2]), n(a[3])) },
		func(k []byte) ([]any, error) {
			v, err := ParsePartitionVersion(k)
			return []any{v.Instance, v.DBID, v.TableID, v.PartitionID}, err
		}},
	"table_version": {"sii", func(a []any) []byte { return TableVersion(s(a[0]), n(a[1]), n(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseTableVersion(k)
			return []any{v.Instance, v.DBID, v.TableID}, err
		}},
	"schema": {"sii", func(a []any) []byte { return Schema(s(a[0]), n(a[1]), n(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseSchema(k)
			return []any{v.Instance, v.IndexID, v.SchemaVersion}, err
		}},
	"delete_bitmap": {"sisii", func(a []any) []byte { return DeleteBitmap(s(a[0]), n(a[1]), s(a[2]), n(a[3]), n(a[4])) },
		func(k []byte) ([]any, error) {
			v, err := ParseDeleteBitmap(k)
			return []any{v.Instance, v.TabletID, v.RowsetID, v.Version, v.SegmentID}, err
		}},
	"delete_bitmap_lock": {"sii", func(a []any) []byte { return DeleteBitmapLock(s(a[0]), n(a[1]), n(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseDeleteBitmapLock(k)
			return []any{v.Instance, v.TableID, v.PartitionID}, err
		}},
	"delete_bitmap_pending": {"si", func(a []any) []byte { return DeleteBitmapPending(s(a[0]), n(a[1])) },
		func(k []byte) ([]any, error) {
			v, err := ParseDeleteBitmapPending(k)
			return []any{v.Instance, v.TabletID}, err
		}},
	"tablet_stats": {"siiii", func(a []any) []byte { return TabletStats(s(a[0]), n(a[1]), n(a[2]), n(a[3]), n(a[4])) },
		func(k []byte) ([]any, error) {
			v, err := ParseTabletStats(k)
			return []any{v.Instance, v.TableID, v.IndexID, v.PartitionID, v.TabletID}, err
		}},
	"tablet_stats_counter": {"siiiis", func(a []any) []byte {
		return TabletStatsCounter(s(a[0]), n(a[1]), n(a[2]), n(a[3]), n(a[4]), s(a[5]))
	},
		func(k []byte) ([]any, error) {
			v, err := ParseTabletStatsCounter(k)
			return []any{v.Instance, v.TableID, v.IndexID, v.PartitionID, v.TabletID, v.Counter}, err
		}},
	"column_stats": {"sis", func(a []any) []byte { return ColumnStats(s(a[0]), n(a[1]), s(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseColumnStats(k)
			return []any{v.Instance, v.TableID, v.Column}, err
		}},
	"recycle_index": {"si", func(a []any) []byte { return RecycleIndex(s(a[0]), n(a[1])) },
		func(k []byte) ([]any, error) {
			v, err := ParseRecycleIndex(k)
			return []any{v.Instance, v.IndexID}, err
		}},
	"recycle_partition": {"si", func(a []any) []byte { return RecyclePartition(s(a[0]), n(a[1])) },
		func(k []byte) ([]any, error) {
			v, err := ParseRecyclePartition(k)
			return []any{v.Instance, v.PartitionID}, err
		}},
	"recycle_txn": {"sii", func(a []any) []byte { return RecycleTxn(s(a[0]), n(a[1]), n(a[2])) },
		func(k []byte) ([]any, error) {
			v, err := ParseRecycleTxn(k)
			return []any{v.Instance, v.DBID, v.TxnID}, err
		}},
	"job_tablet": {"siiii", func(a []any) []byte { return JobTablet(s(a[0]), n(a[1]), n(a[2]), n(a[3]), n(a[4])) },
		func(k []byte) ([]any, error) {
			v, err := ParseJobTablet(k)
			return []any{v.Instance, v.TableID, v.IndexID, v.PartitionID, v.TabletID}, err
		}},
	"job_recycle": {"s", func(a []any) []byte { return JobRecycle(s(a[0])) },
		func(k []byte) ([]any, error) { v, err := ParseJobRecycle(k); return []any{v}, err }},
}

// parseSpec reads `kind arg...` where string args are Go-quoted and int args are decimal.
func parseSpec(t *testing.T, line string) (string, kind, []any) {
	t.Helper()
	toks := strings.Fields(line)
	k, ok := kinds[toks[0]]
	if !ok {
		t.Fatalf("unknown key kind %q", toks[0])
	}
	if len(toks)-1 != len(k.types) {
		t.Fatalf("%s: want %d args, got %d", toks[0], len(k.types), len(toks)-1)
	}
	args := make([]any, len(k.types))
	for i, ty := range k.types {
		tok := toks[i+1]
		var err error
		if ty == 's' {
			args[i], err = strconv.Unquote(tok)
		} else {
			args[i], err = strconv.ParseInt(tok, 10, 64)
		}
		if err != nil {
			t.Fatalf("%s: arg %d %q: %v", toks[0], i, tok, err)
		}
	}
	return toks[0], k, args
}

func spacedHex(b []byte) string {
	h := hex.EncodeToString(b)
	var sb strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}

func TestGolden(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var out strings.Builder
			switch d.Cmd {
			case "encode":
				// Each line: a key; prints its bytes and rendering, and checks its decoder
				// returns the constructor's arguments and rejects every other kind.
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					name, k, args := parseSpec(t, line)
					key := k.build(args)
					got, err := k.parse(key)
					if err != nil || !reflect.DeepEqual(got, args) {
						t.Fatalf("%s: parse(build(%v)) = %v, %v", name, args, got, err)
					}
					for other, ok := range kinds {
						if other == name {
							continue
						}
						if _, err := ok.parse(key); !errors.Is(err, ErrMalformed) {
							t.Fatalf("Parse %s accepted a %s key: %v", other, name, err)
						}
					}
					fmt.Fprintf(&out, "%s\n  %s\n  %s\n", line, spacedHex(key), Pretty(key))
				}
			case "sort":
				// Prints the lines in the byte order of their keys.
				lines := strings.Split(strings.TrimSpace(d.Input), "\n")
				encoded := make(map[string][]byte, len(lines))
				for _, line := range lines {
					_, k, args := parseSpec(t, line)
					encoded[line] = k.build(args)
				}
				sort.SliceStable(lines, func(i, j int) bool {
					return bytes.Compare(encoded[lines[i]], encoded[lines[j]]) < 0
				})
				for _, line := range lines {
					fmt.Fprintln(&out, line)
				}
			case "decode":
				// Each line: hex bytes (spaces allowed); prints the rendering or the error.
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					b, err := hex.DecodeString(strings.ReplaceAll(line, " ", ""))
					if err != nil {
						t.Fatal(err)
					}
					if len(b) == 0 {
						fmt.Fprintf(&out, "%s -> empty\n", line)
						continue
					}
					if _, err := decodeFields(b[1:]); err != nil {
						fmt.Fprintf(&out, "%s -> error: %v\n", line, err)
						continue
					}
					fmt.Fprintf(&out, "%s -> %s\n", line, Pretty(b))
				}
			default:
				t.Fatalf("unknown command %q", d.Cmd)
			}
			return out.String()
		})
	})
}

func TestRowsetRange(t *testing.T) {
	const inst = "i"
	keysIn := func(begin, end []byte, tablet int64, versions ...int64) []int64 {
		var got []int64
		for _, v := range versions {
			k := Rowset(inst, tablet, v)
			if bytes.Compare(k, begin) >= 0 && bytes.Compare(k, end) < 0 {
				got = append(got, v)
			}
		}
		return got
	}
	all := []int64{math.MinInt64, -1, 0, 1, 2, 3, 10, 255, 256, math.MaxInt64 - 1, math.MaxInt64}
	for _, tc := range []struct {
		start, end int64
		want       []int64
	}{
		{2, 3, []int64{2, 3}},
		{0, math.MaxInt64, []int64{0, 1, 2, 3, 10, 255, 256, math.MaxInt64 - 1, math.MaxInt64}},
		{4, 255, []int64{10, 255}},
		{5, 4, nil},
		{math.MinInt64, 0, []int64{math.MinInt64, -1, 0}},
	} {
		b, e := RowsetRange(inst, 7, tc.start, tc.end)
		if got := keysIn(b, e, 7, all...); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("RowsetRange(%d,%d) holds %v, want %v", tc.start, tc.end, got, tc.want)
		}
		// Neighbouring tablets never fall in the range.
		if got := keysIn(b, e, 6, all...); got != nil {
			t.Errorf("tablet 6 in range of tablet 7: %v", got)
		}
		if got := keysIn(b, e, 8, all...); got != nil {
			t.Errorf("tablet 8 in range of tablet 7: %v", got)
		}
	}
}

func TestPrefixRanges(t *testing.T) {
	in := func(k, b, e []byte) bool { return bytes.Compare(k, b) >= 0 && bytes.Compare(k, e) < 0 }
	for _, tc := range []struct {
		name       string
		begin, end []byte
		inside     [][]byte
		outside    [][]byte
	}{
		{
			name: "compute groups", begin: first(ComputeGroupRange("i")), end: second(ComputeGroupRange("i")),
			inside:  [][]byte{ComputeGroup("i", ""), ComputeGroup("i", "g"), ComputeGroup("i", "\xff\xff")},
			outside: [][]byte{ComputeGroup("i2", "g"), ComputeNode("i", "g", "n"), Instance("i"), Counter("i", "txn_id")},
		},
		{
			name: "nodes of g", begin: first(ComputeNodeRange("i", "g")), end: second(ComputeNodeRange("i", "g")),
			inside:  [][]byte{ComputeNode("i", "g", ""), ComputeNode("i", "g", "n\x00")},
			outside: [][]byte{ComputeNode("i", "g\x00", "n"), ComputeNode("i", "ga", "n"), ComputeNode("i", "", "n")},
		},
		{
			name: "tmp rowsets of txn 5", begin: first(RowsetTmpRange("i", 5)), end: second(RowsetTmpRange("i", 5)),
			inside:  [][]byte{RowsetTmp("i", 5, math.MinInt64), RowsetTmp("i", 5, math.MaxInt64)},
			outside: [][]byte{RowsetTmp("i", 4, math.MaxInt64), RowsetTmp("i", 6, 0), Rowset("i", 5, 1)},
		},
		{
			name: "vaults", begin: first(StorageVaultRange("i")), end: second(StorageVaultRange("i")),
			inside:  [][]byte{StorageVault("i", "1"), StorageVault("i", "")},
			outside: [][]byte{StorageVault("", "1"), StorageVault("i\x00", "1")},
		},
		{
			name: "running txns of db 1", begin: first(TxnRunningRange("i", 1)), end: second(TxnRunningRange("i", 1)),
			inside:  [][]byte{TxnRunning("i", 1, 1), TxnRunning("i", 1, math.MaxInt64)},
			outside: [][]byte{TxnRunning("i", 2, 1), TxnInfo("i", 1, 1)},
		},
		{
			name: "recycle rowsets", begin: first(RecycleRowsetRange("i")), end: second(RecycleRowsetRange("i")),
			inside:  [][]byte{RecycleRowset("i", 1, "r"), RecycleRowset("i", math.MinInt64, "")},
			outside: [][]byte{RecycleRowset("j", 1, "r"), Rowset("i", 1, 1)},
		},
		{
			name: "all instances", begin: first(InstanceRange()), end: second(InstanceRange()),
			inside: [][]byte{Instance(""), Instance("i"), Instance("\xff\xff"), ComputeGroup("i", "g"),
				ComputeNode("i", "g", "n"), Counter("zz", "txn_id")},
			outside: [][]byte{JobRecycle(""), JobRecycle("i"), TxnIndex("i", 1), Schema("", 0, 0)},
		},
		{
			name: "scope of instance i", begin: first(InstanceScopeRange("i")), end: second(InstanceScopeRange("i")),
			inside:  [][]byte{Instance("i"), ComputeGroup("i", "g"), ComputeNode("i", "g", "n"), Counter("i", "txn_id")},
			outside: [][]byte{Instance("i\x00"), Instance("ia"), Instance(""), Counter("j", "txn_id")},
		},
		{
			name: "partition versions of table 2", begin: first(PartitionVersionRange("i", 1, 2)), end: second(PartitionVersionRange("i", 1, 2)),
			inside:  [][]byte{PartitionVersion("i", 1, 2, math.MinInt64), PartitionVersion("i", 1, 2, 3), PartitionVersion("i", 1, 2, math.MaxInt64)},
			outside: [][]byte{PartitionVersion("i", 1, 1, 3), PartitionVersion("i", 1, 3, 3), PartitionVersion("i", 2, 2, 3), TableVersion("i", 1, 2)},
		},
		{
			name: "tablets of partition", begin: first(TabletRange("i", 1, 2, 3)), end: second(TabletRange("i", 1, 2, 3)),
			inside:  [][]byte{Tablet("i", 1, 2, 3, 0), Tablet("i", 1, 2, 3, math.MaxInt64)},
			outside: [][]byte{Tablet("i", 1, 2, 4, 0), Tablet("i", 1, 3, 3, 0), Tablet("i", 0, 2, 3, 0), TabletIndex("i", 1), JobTablet("i", 1, 2, 3, 4), TabletStats("i", 1, 2, 3, 4)},
		},
		{
			name: "tablets of table", begin: first(TabletTableRange("i", 1)), end: second(TabletTableRange("i", 1)),
			inside:  [][]byte{Tablet("i", 1, 2, 3, 0), Tablet("i", 1, math.MinInt64, 0, 0), Tablet("i", 1, math.MaxInt64, 9, 9)},
			outside: [][]byte{Tablet("i", 0, 2, 3, 0), Tablet("i", 2, math.MinInt64, 0, 0), TabletIndex("i", 1)},
		},
		{
			name: "tablets of index", begin: first(TabletIndexRange("i", 1, 2)), end: second(TabletIndexRange("i", 1, 2)),
			inside:  [][]byte{Tablet("i", 1, 2, 3, 0), Tablet("i", 1, 2, math.MinInt64, 0)},
			outside: [][]byte{Tablet("i", 1, 1, 3, 0), Tablet("i", 1, 3, 0, 0), TabletIndex("i", 2)},
		},
		{
			name: "bitmaps of tablet", begin: first(DeleteBitmapRange("i", 5)), end: second(DeleteBitmapRange("i", 5)),
			inside:  [][]byte{DeleteBitmap("i", 5, "", 0, 0), DeleteBitmap("i", 5, "r", 2, 1), DeleteBitmap("i", 5, "\xff", math.MaxInt64, 9)},
			outside: [][]byte{DeleteBitmap("i", 4, "r", 2, 1), DeleteBitmap("i", 6, "", 0, 0), DeleteBitmapPending("i", 5), DeleteBitmapLock("i", 5, 5)},
		},
		{
			name: "bitmaps of rowset r1", begin: first(DeleteBitmapRowsetRange("i", 5, "r1")), end: second(DeleteBitmapRowsetRange("i", 5, "r1")),
			inside:  [][]byte{DeleteBitmap("i", 5, "r1", math.MinInt64, 0), DeleteBitmap("i", 5, "r1", 7, math.MaxInt64)},
			outside: [][]byte{DeleteBitmap("i", 5, "r10", 1, 0), DeleteBitmap("i", 5, "r", 1, 0), DeleteBitmap("i", 5, "r1\x00", 1, 0), DeleteBitmap("i", 6, "r1", 1, 0)},
		},
		{
			name: "stats of tablet", begin: first(TabletStatsRange("i", 1, 2, 3, 4)), end: second(TabletStatsRange("i", 1, 2, 3, 4)),
			inside: [][]byte{TabletStats("i", 1, 2, 3, 4), TabletStatsCounter("i", 1, 2, 3, 4, StatsDataSize),
				TabletStatsCounter("i", 1, 2, 3, 4, StatsNumSegs), TabletStatsCounter("i", 1, 2, 3, 4, "")},
			outside: [][]byte{TabletStats("i", 1, 2, 3, 5), TabletStatsCounter("i", 1, 2, 3, 3, StatsNumRows), Tablet("i", 1, 2, 3, 4)},
		},
		{
			name: "column stats of table", begin: first(ColumnStatsRange("i", 7)), end: second(ColumnStatsRange("i", 7)),
			inside:  [][]byte{ColumnStats("i", 7, ""), ColumnStats("i", 7, "c"), ColumnStats("i", 7, "\xff\xff")},
			outside: [][]byte{ColumnStats("i", 6, "c"), ColumnStats("i", 8, ""), ColumnStats("j", 7, "c"), TabletStats("i", 7, 0, 0, 0)},
		},
		{
			name: "recycle indexes", begin: first(RecycleIndexRange("i")), end: second(RecycleIndexRange("i")),
			inside:  [][]byte{RecycleIndex("i", math.MinInt64), RecycleIndex("i", math.MaxInt64)},
			outside: [][]byte{RecycleIndex("j", 1), RecyclePartition("i", 1), RecycleTxn("i", 1, 1)},
		},
		{
			name: "recycle partitions", begin: first(RecyclePartitionRange("i")), end: second(RecyclePartitionRange("i")),
			inside:  [][]byte{RecyclePartition("i", 0), RecyclePartition("i", math.MaxInt64)},
			outside: [][]byte{RecyclePartition("i0", 1), RecycleIndex("i", 1), RecycleRowset("i", 1, "r")},
		},
		{
			name: "recycle txns", begin: first(RecycleTxnRange("i")), end: second(RecycleTxnRange("i")),
			inside:  [][]byte{RecycleTxn("i", 0, 0), RecycleTxn("i", math.MaxInt64, math.MaxInt64)},
			outside: [][]byte{RecycleTxn("", 1, 1), RecycleRowset("i", 1, "r"), TxnInfo("i", 1, 1)},
		},
	} {
		for _, k := range tc.inside {
			if !in(k, tc.begin, tc.end) {
				t.Errorf("%s: %s not in range", tc.name, Pretty(k))
			}
		}
		for _, k := range tc.outside {
			if in(k, tc.begin, tc.end) {
				t.Errorf("%s: %s in range", tc.name, Pretty(k))
			}
		}
	}
}

func first(b, _ []byte) []byte  { return b }
func second(_, e []byte) []byte { return e }

func TestParseRejectsGarbage(t *testing.T) {
	good := Rowset("i", 1, 2)
	for _, b := range [][]byte{
		nil,
		{},
		{0x02},                  // other key space
		good[:len(good)-1],      // truncated int
		append(good, 0x03),      // unknown tag
		append(good, 0x01, 'x'), // unterminated string
		{0x01, 0x01, 'a', 0x00, 0x02},
		append(bytes.Clone(good), appendInt64(nil, 3)...), // extra field
	} {
		if _, err := ParseRowset(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseRowset(%x) = %v, want ErrMalformed", b, err)
		}
	}
}

// TestImports enforces DESIGN.md's dependency rule: keys imports nothing from the repo.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/doricdb/doric/") {
			t.Errorf("keys imports %s", imp)
		}
	}
}
