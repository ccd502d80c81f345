package expr

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

// String functions. Positions and lengths count characters (UTF-8), except length() which
// counts bytes, as MySQL and Doris.

// maxStringResult bounds the strings repeat, lpad, rpad and space may build.
const maxStringResult = 1 << 30

// strKernel runs f over the non-NULL rows, appending each result into one arena.
func strKernel(f func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool)) kernel {
	return func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
		var arena []byte
		for _, i := range rows {
			if out.IsNull(int(i)) {
				continue
			}
			start := len(arena)
			var ok bool
			arena, ok = f(in, i, arena)
			if !ok {
				arena = arena[:start]
				out.SetNull(int(i))
				continue
			}
			if len(arena) > maxStringResult {
				return fmt.Errorf("%w: string result longer than %d bytes", ErrInvalidArgument, maxStringResult)
			}
			out.Bytes[i] = arena[start:len(arena):len(arena)]
		}
		return nil
	}
}

// intKernel runs f over the non-NULL rows into an integer (or BOOLEAN) result.
func intKernel(f func(in []*vector.Vector, i int32) int64) kernel {
	return func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
		for _, i := range rows {
			if !out.IsNull(int(i)) {
				out.Int64[i] = f(in, i)
			}
		}
		return nil
	}
}

// charPrefix is the byte length of the first n characters of s (all of s when it is shorter).
func charPrefix(s []byte, n int64) int {
	if n <= 0 {
		return 0
	}
	if isASCII(s) {
		return int(min(n, int64(len(s))))
	}
	k := 0
	for c := int64(0); c < n && k < len(s); c++ {
		_, w := utf8.DecodeRune(s[k:])
		k += w
	}
	return k
}

func charLen(s []byte) int64 {
	if isASCII(s) {
		return int64(len(s))
	}
	return int64(utf8.RuneCount(s))
}

// charIndex is the 1-based character position of the first sub in s at or after character
// start (1-based), 0 when there is none.
func charIndex(s, sub []byte, start int64) int64 {
	if start < 1 {
		return 0
	}
	off := charPrefix(s, start-1)
	if start-1 > charLen(s) {
		return 0
	}
	k := bytes.Index(s[off:], sub)
	if k < 0 {
		return 0
	}
	return charLen(s[:off+k]) + 1
}

func compileStringFn(name string, t types.T, args []node) (node, bool, error) {
	var lo, hi int
	var k kernel
	want := []func(types.T) bool{isStr}
	own := false
	switch name {
	case "concat_ws":
		lo, hi, own = 2, -1, true
		k = func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			var arena []byte
			for _, i := range rows {
				if in[0].IsNull(int(i)) || in[0].Type.Kind == types.Null {
					out.SetNull(int(i))
					continue
				}
				start, first := len(arena), true
				for _, v := range in[1:] {
					if v.Type.Kind == types.Null || v.IsNull(int(i)) {
						continue
					}
					if !first {
						arena = append(arena, in[0].Bytes[i]...)
					}
					arena, first = append(arena, v.Bytes[i]...), false
				}
				out.Bytes[i] = arena[start:len(arena):len(arena)]
			}
			return nil
		}
	case "left", "right":
		lo, hi, want = 2, 2, []func(types.T) bool{isStr, isInt}
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			s, n := in[0].Bytes[i], in[1].Int64[i]
			if name == "left" {
				return append(dst, s[:charPrefix(s, n)]...), true
			}
			if n <= 0 {
				return dst, true
			}
			skip := charLen(s) - n
			return append(dst, s[charPrefix(s, skip):]...), true
		})
	case "repeat":
		lo, hi, want = 2, 2, []func(types.T) bool{isStr, isInt}
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			s, n := in[0].Bytes[i], in[1].Int64[i]
			if n > 0 && int64(len(s))*n > maxStringResult {
				return append(dst, make([]byte, maxStringResult+1)...), true // reported by strKernel
			}
			for ; n > 0; n-- {
				dst = append(dst, s...)
			}
			return dst, true
		})
	case "space":
		lo, hi, want = 1, 1, []func(types.T) bool{isInt}
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			n := min(in[0].Int64[i], maxStringResult+1)
			for ; n > 0; n-- {
				dst = append(dst, ' ')
			}
			return dst, true
		})
	case "char_length":
		lo, hi = 1, 1
		k = intKernel(func(in []*vector.Vector, i int32) int64 { return charLen(in[0].Bytes[i]) })
	case "ascii":
		lo, hi = 1, 1
		k = intKernel(func(in []*vector.Vector, i int32) int64 {
			if s := in[0].Bytes[i]; len(s) > 0 {
				return int64(s[0])
			}
			return 0
		})
	case "reverse":
		lo, hi = 1, 1
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			s := in[0].Bytes[i]
			for e := len(s); e > 0; {
				_, w := utf8.DecodeLastRune(s[:e])
				dst = append(dst, s[e-w:e]...)
				e -= w
			}
			return dst, true
		})
	case "md5":
		lo, hi = 1, 1
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			sum := md5.Sum(in[0].Bytes[i])
			return hex.AppendEncode(dst, sum[:]), true
		})
	case "hex":
		lo, hi, want = 1, 1, []func(types.T) bool{isAny}
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			if in[0].Type.IsString() {
				return append(dst, bytes.ToUpper(hex.AppendEncode(nil, in[0].Bytes[i]))...), true
			}
			return append(dst, bytes.ToUpper(strconv.AppendUint(nil, uint64(in[0].Int64[i]), 16))...), true
		})
	case "unhex":
		lo, hi = 1, 1
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			s := in[0].Bytes[i]
			r, err := hex.AppendDecode(dst, s)
			if err != nil || len(s)%2 != 0 {
				return dst, true // Doris: invalid input gives ''
			}
			return r, true
		})
	case "trim", "ltrim", "rtrim":
		lo, hi = 1, 2
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			s := in[0].Bytes[i]
			cut := []byte(" ")
			if len(in) == 2 {
				cut = in[1].Bytes[i]
			}
			if len(cut) > 0 {
				if name != "rtrim" {
					for bytes.HasPrefix(s, cut) {
						s = s[len(cut):]
					}
				}
				if name != "ltrim" {
					for bytes.HasSuffix(s, cut) {
						s = s[:len(s)-len(cut)]
					}
				}
			}
			return append(dst, s...), true
		})
	case "lpad", "rpad":
		lo, hi, want = 3, 3, []func(types.T) bool{isStr, isInt, isStr}
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			s, n, pad := in[0].Bytes[i], in[1].Int64[i], in[2].Bytes[i]
			if n < 0 {
				return dst, false
			}
			have := charLen(s)
			if have >= n {
				return append(dst, s[:charPrefix(s, n)]...), true
			}
			if len(pad) == 0 {
				return dst, true
			}
			if n > maxStringResult {
				return append(dst, make([]byte, maxStringResult+1)...), true
			}
			if name == "rpad" {
				dst = append(dst, s...)
			}
			need := n - have
			padChars := charLen(pad)
			for need >= padChars {
				dst = append(dst, pad...)
				need -= padChars
			}
			dst = append(dst, pad[:charPrefix(pad, need)]...)
			if name == "lpad" {
				dst = append(dst, s...)
			}
			return dst, true
		})
	case "replace":
		lo, hi = 3, 3
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			s, from, to := in[0].Bytes[i], in[1].Bytes[i], in[2].Bytes[i]
			if len(from) == 0 {
				return append(dst, s...), true
			}
			for {
				j := bytes.Index(s, from)
				if j < 0 {
					return append(dst, s...), true
				}
				dst = append(append(dst, s[:j]...), to...)
				s = s[j+len(from):]
			}
		})
	case "instr":
		lo, hi = 2, 2
		k = intKernel(func(in []*vector.Vector, i int32) int64 { return charIndex(in[0].Bytes[i], in[1].Bytes[i], 1) })
	case "locate":
		lo, hi, want = 2, 3, []func(types.T) bool{isStr, isStr, isInt}
		k = intKernel(func(in []*vector.Vector, i int32) int64 {
			start := int64(1)
			if len(in) == 3 {
				start = in[2].Int64[i]
			}
			return charIndex(in[1].Bytes[i], in[0].Bytes[i], start)
		})
	case "starts_with", "ends_with":
		lo, hi = 2, 2
		k = intKernel(func(in []*vector.Vector, i int32) int64 {
			if name == "starts_with" {
				return b2i(bytes.HasPrefix(in[0].Bytes[i], in[1].Bytes[i]))
			}
			return b2i(bytes.HasSuffix(in[0].Bytes[i], in[1].Bytes[i]))
		})
	case "strcmp":
		lo, hi = 2, 2
		k = intKernel(func(in []*vector.Vector, i int32) int64 { return int64(bytes.Compare(in[0].Bytes[i], in[1].Bytes[i])) })
	case "find_in_set":
		lo, hi = 2, 2
		k = intKernel(func(in []*vector.Vector, i int32) int64 {
			s := in[0].Bytes[i]
			if bytes.IndexByte(s, ',') >= 0 {
				return 0
			}
			for n, part := range bytes.Split(in[1].Bytes[i], []byte(",")) {
				if bytes.Equal(part, s) {
					return int64(n + 1)
				}
			}
			return 0
		})
	case "null_or_empty":
		lo, hi, own = 1, 1, true
		k = func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			for _, i := range rows {
				out.Int64[i] = b2i(in[0].Type.Kind == types.Null || in[0].IsNull(int(i)) || len(in[0].Bytes[i]) == 0)
			}
			return nil
		}
	case "split_part", "substring_index":
		lo, hi, want = 3, 3, []func(types.T) bool{isStr, isStr, isInt}
		k = strKernel(func(in []*vector.Vector, i int32, dst []byte) ([]byte, bool) {
			s, d, n := in[0].Bytes[i], in[1].Bytes[i], in[2].Int64[i]
			if name == "substring_index" {
				return append(dst, substringIndex(s, d, n)...), true
			}
			if len(d) == 0 || n == 0 {
				return dst, false
			}
			parts := bytes.Split(s, d)
			if n < 0 {
				n = int64(len(parts)) + n + 1
			}
			if n < 1 || n > int64(len(parts)) {
				return dst, false
			}
			return append(dst, parts[n-1]...), true
		})
	case "regexp", "not_regexp", "regexp_extract", "regexp_replace", "regexp_replace_one":
		n, err := newRegexpFn(name, t, args)
		return n, true, err
	default:
		return nil, false, nil
	}
	if err := arityErr(name, args, lo, hi); err != nil {
		return nil, true, err
	}
	if err := checkArgs(name, args, want...); err != nil {
		return nil, true, err
	}
	return &fn{t: t, args: args, k: k, ownNulls: own}, true, nil
}

// substringIndex is MySQL's SUBSTRING_INDEX: the part of s before the n-th delimiter (n > 0),
// after the n-th from the end (n < 0), or ” (n = 0).
func substringIndex(s, d []byte, n int64) []byte {
	if n == 0 || len(d) == 0 {
		return nil
	}
	if n > 0 {
		off := 0
		for ; n > 0; n-- {
			j := bytes.Index(s[off:], d)
			if j < 0 {
				return s
			}
			off += j + len(d)
		}
		return s[:off-len(d)]
	}
	end := len(s)
	for ; n < 0; n++ {
		j := bytes.LastIndex(s[:end], d)
		if j < 0 {
			return s
		}
		end = j
	}
	return s[end+len(d):]
}

// ---------------------------------------------------------------- regular expressions

// regexpCache compiles a pattern once when it is a constant, and otherwise keeps the last one.
type regexpCache struct {
	last []byte
	re   *regexp.Regexp
}

func (c *regexpCache) get(p []byte) (*regexp.Regexp, error) {
	if c.re != nil && bytes.Equal(p, c.last) {
		return c.re, nil
	}
	re, err := regexp.Compile(string(p))
	if err != nil {
		return nil, fmt.Errorf("%w: invalid regular expression %q: %v", ErrInvalidArgument, p, err)
	}
	c.re, c.last = re, append(c.last[:0], p...)
	return re, nil
}

// goReplacement converts RE2-style \1 group references into Go's ${1} and escapes '$'.
func goReplacement(r []byte) []byte {
	var out []byte
	for k := 0; k < len(r); k++ {
		switch {
		case r[k] == '$':
			out = append(out, "$$"...)
		case r[k] == '\\' && k+1 < len(r) && r[k+1] >= '0' && r[k+1] <= '9':
			out = append(out, "${"...)
			out = append(out, r[k+1], '}')
			k++
		case r[k] == '\\' && k+1 < len(r):
			out = append(out, r[k+1])
			k++
		default:
			out = append(out, r[k])
		}
	}
	return out
}

func newRegexpFn(name string, t types.T, args []node) (node, error) {
	lo, want := 2, []func(types.T) bool{isStr}
	if name == "regexp_extract" || name == "regexp_replace" || name == "regexp_replace_one" {
		lo = 3
	}
	if name == "regexp_extract" {
		want = []func(types.T) bool{isStr, isStr, isInt}
	}
	if err := arityErr(name, args, lo, lo); err != nil {
		return nil, err
	}
	if err := checkArgs(name, args, want...); err != nil {
		return nil, err
	}
	cache := &regexpCache{}
	if l, ok := constArg(args[1]); ok {
		if _, err := cache.get(l.b); err != nil {
			return nil, err
		}
	}
	var k kernel
	switch name {
	case "regexp", "not_regexp":
		k = func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				re, err := cache.get(in[1].Bytes[i])
				if err != nil {
					return err
				}
				out.Int64[i] = b2i(re.Match(in[0].Bytes[i]) != (name == "not_regexp"))
			}
			return nil
		}
	case "regexp_extract":
		k = func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				re, err := cache.get(in[1].Bytes[i])
				if err != nil {
					return err
				}
				out.Bytes[i] = []byte{}
				idx := in[2].Int64[i]
				m := re.FindSubmatchIndex(in[0].Bytes[i])
				if m == nil || idx < 0 || int(idx) > re.NumSubexp() || m[2*idx] < 0 {
					continue
				}
				out.Bytes[i] = in[0].Bytes[i][m[2*idx]:m[2*idx+1]]
			}
			return nil
		}
	default:
		k = func(in []*vector.Vector, rows []int32, out *vector.Vector) error {
			for _, i := range rows {
				if out.IsNull(int(i)) {
					continue
				}
				re, err := cache.get(in[1].Bytes[i])
				if err != nil {
					return err
				}
				s, repl := in[0].Bytes[i], goReplacement(in[2].Bytes[i])
				if name == "regexp_replace" {
					out.Bytes[i] = re.ReplaceAll(s, repl)
					continue
				}
				m := re.FindSubmatchIndex(s)
				if m == nil {
					out.Bytes[i] = s
					continue
				}
				r := append([]byte(nil), s[:m[0]]...)
				r = re.Expand(r, repl, s, m)
				out.Bytes[i] = append(r, s[m[1]:]...)
			}
			return nil
		}
	}
	return &fn{t: t, args: args, k: k}, nil
}

// newLikeEscape is like/not_like with an optional constant escape character (third argument).
func newLikeEscape(not bool, args []node) (node, error) {
	if len(args) == 2 {
		return newLike(not, args[0], args[1])
	}
	l, ok := constArg(args[2])
	if !ok || !args[2].typ().IsString() || utf8.RuneCount(l.b) != 1 {
		return nil, badPlan("like: the escape must be a one-character constant string")
	}
	esc := l.b[0]
	if len(l.b) != 1 {
		return nil, badPlan("like: the escape must be a one-byte character")
	}
	n, err := newLike(not, args[0], args[1])
	if err != nil {
		return nil, err
	}
	lk := n.(*like)
	lk.escape = esc
	if p, ok := constArg(args[1]); ok {
		cp := compileLikeEsc(p.b, esc)
		lk.constant = &cp
	}
	return lk, nil
}
