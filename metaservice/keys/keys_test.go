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
