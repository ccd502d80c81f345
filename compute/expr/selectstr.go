package expr

import (
	"bytes"
	"encoding/binary"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// Fast paths of string predicates: LIKE and IN as filters select rows directly, and IN over a
// constant-position SUBSTRING reads the substrings in place.

// selectRows of LIKE with a constant pattern: the matching rows are appended to out as they are
// found, without a BOOLEAN vector.
func (n *like) selectRows(b *vector.Batch, rows []int32, out []int32) ([]int32, bool, error) {
	if n.constant == nil {
		return nil, false, nil
	}
	v, err := n.arg.eval(b, rows)
	if err != nil {
		return nil, true, err
	}
	if v.Type.Kind == types.Null {
		return out, true, nil // NULL LIKE p is NULL
	}
	p, want, vals := n.constant, !n.not, v.Bytes
	k := len(out)
	out = room(out, len(rows))
	if v.Nulls == nil {
		for _, i := range rows {
			out[k] = i
			k += int(b2i(p.match(vals[i]) == want))
		}
		return out[:k], true, nil
	}
	for _, i := range rows {
		if v.Nulls.Get(int(i)) {
			continue
		}
		out[k] = i
		k += int(b2i(p.match(vals[i]) == want))
	}
	return out[:k], true, nil
}

// selectRows of IN over a constant set: TRUE is a hit for IN; for NOT IN a miss with no NULL in
// the list. NULL values are never selected.
func (n *in) selectRows(b *vector.Batch, rows []int32, out []int32) ([]int32, bool, error) {
	if !n.set {
		return nil, false, nil
	}
	if n.not && n.hasNull { // NOT IN (..., NULL) is never TRUE (the value may still fail)
		_, err := n.value.eval(b, rows)
		return out, true, err
	}
	if n.ints == nil {
		if sub, ok := n.value.(*substring); ok {
			if res, ok, err := n.selectSubstrings(sub, b, rows, out); ok || err != nil {
				return res, true, err
			}
		}
	}
	v, err := n.value.eval(b, rows)
	if err != nil {
		return nil, true, err
	}
	if v.Type.Kind == types.Null {
		return out, true, nil
	}
	want := !n.not
	k := len(out)
	out = room(out, len(rows))
	for _, i := range rows {
		if v.IsNull(int(i)) {
			continue
		}
		var hit bool
		if n.ints != nil {
			_, hit = n.ints[v.Int64[i]]
		} else {
			hit = n.hasString(v.Bytes[i])
		}
		out[k] = i
		k += int(b2i(hit == want))
	}
	return out[:k], true, nil
}

// selectSubstrings is selectRows for `substring(s, pos, len) IN (...)` with constant pos and len:
// each row's substring is a view of s looked up at once, with no vector of substrings. ok is
// false when the positions are not constants.
func (n *in) selectSubstrings(sub *substring, b *vector.Batch, rows []int32, out []int32) ([]int32, bool, error) {
	if len(sub.args) != 3 {
		return nil, false, nil
	}
	pl, ok1 := sub.args[1].(*literal)
	ll, ok2 := sub.args[2].(*literal)
	if !ok1 || !ok2 || pl.null || ll.null || sub.t != n.setType {
		return nil, false, nil
	}
	pos, length := pl.i64, ll.i64
	v, err := sub.args[0].eval(b, rows)
	if err != nil {
		return nil, true, err
	}
	if v.Type.Kind == types.Null {
		return out, true, nil
	}
	want := !n.not
	k := len(out)
	out = room(out, len(rows))
	for _, i := range rows {
		if v.Nulls != nil && v.Nulls.Get(int(i)) {
			continue
		}
		out[k] = i
		k += int(b2i(n.hasString(substr(v.Bytes[i], pos, length)) == want))
	}
	return out[:k], true, nil
}

// hasString reports whether s (trimmed of trailing spaces for CHAR) is in the set of strings.
func (n *in) hasString(s []byte) bool {
	if n.trim {
		s = trimRightSpace(s)
	}
	if n.small != nil {
		if len(s) > 8 {
			return false
		}
		key, l := packShort(s), uint8(len(s))
		for _, x := range n.small {
			if x.w == key && x.n == l {
				return true
			}
		}
		return false
	}
	_, hit := n.strs[string(s)]
	return hit
}

// shortStr is a string of at most 8 bytes as a word (zero-padded) and its length.
type shortStr struct {
	w uint64
	n uint8
}

// packSet returns the strings as shortStrs when there are at most 16 of them, each of at most 8
// bytes (a linear scan of a few words beats hashing them); otherwise nil.
func packSet(strs map[string]struct{}) []shortStr {
	if len(strs) > 16 {
		return nil
	}
	out := make([]shortStr, 0, len(strs))
	for s := range strs {
		if len(s) > 8 {
			return nil
		}
		out = append(out, shortStr{w: packShort([]byte(s)), n: uint8(len(s))})
	}
	return out
}

// packShort is the bytes of s (at most 8) as a little-endian word, zero-padded.
func packShort(s []byte) uint64 {
	var buf [8]byte
	copy(buf[:], s)
	return binary.LittleEndian.Uint64(buf[:])
}

// selectBytes appends the rows where x[i] op c holds (as compareVectors compares bytes: CHAR
// comparisons without trailing spaces); NULL rows are the caller's to drop.
func selectBytes(op cmpOp, x [][]byte, c []byte, trim bool, rows []int32, out []int32) []int32 {
	if trim {
		c = trimRightSpace(c)
	}
	k := len(out)
	out = room(out, len(rows))
	for _, i := range rows {
		s := x[i]
		if trim {
			s = trimRightSpace(s)
		}
		var holds bool
		switch op {
		case cmpEq:
			holds = bytes.Equal(s, c)
		case cmpNe:
			holds = !bytes.Equal(s, c)
		default:
			holds = op.holds(bytes.Compare(s, c))
		}
		out[k] = i
		k += int(b2i(holds))
	}
	return out[:k]
}
