package expr

import (
	"bytes"
	"unicode/utf8"

	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

var stringT = types.New(types.String)

// ---------------------------------------------------------------- LIKE

type likeKind uint8

const (
	likeExact likeKind = iota
	likePrefix
	likeSuffix
	likeContains
	likeSeq // literals and % only: each literal found with bytes.Index, leftmost
	likeGeneral
)

type likeTokKind uint8

const (
	tokLit likeTokKind = iota
	tokOne             // _
	tokAny             // %
)

type likeTok struct {
	kind likeTokKind
	lit  []byte
}

// likePattern is a compiled LIKE pattern: % matches any sequence, _ any one character, and a
// backslash makes the next character literal.
type likePattern struct {
	kind likeKind
	lit  []byte
	toks []likeTok
}

func compileLike(p []byte) likePattern { return compileLikeEsc(p, '\\') }

// compileLikeEsc compiles a LIKE pattern whose escape character is esc.
func compileLikeEsc(p []byte, esc byte) likePattern {
	var toks []likeTok
	var lit []byte
	flush := func() {
		if lit != nil {
			toks = append(toks, likeTok{kind: tokLit, lit: lit})
			lit = nil
		}
	}
	for k := 0; k < len(p); k++ {
		switch c := p[k]; {
		case c == esc && k+1 < len(p):
			k++
			lit = append(lit, p[k])
		case c == '%':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tokAny {
				toks = append(toks, likeTok{kind: tokAny})
			}
		case c == '_':
			flush()
			toks = append(toks, likeTok{kind: tokOne})
		default:
			lit = append(lit, c)
		}
	}
	flush()
	lp := likePattern{kind: likeGeneral, toks: toks}
	isLit := func(t likeTok) bool { return t.kind == tokLit }
	isAny := func(t likeTok) bool { return t.kind == tokAny }
	switch {
	case len(toks) == 0:
		lp.kind, lp.lit = likeExact, []byte{}
	case len(toks) == 1 && isLit(toks[0]):
		lp.kind, lp.lit = likeExact, toks[0].lit
	case len(toks) == 2 && isLit(toks[0]) && isAny(toks[1]):
		lp.kind, lp.lit = likePrefix, toks[0].lit
	case len(toks) == 2 && isAny(toks[0]) && isLit(toks[1]):
		lp.kind, lp.lit = likeSuffix, toks[1].lit
	case len(toks) == 3 && isAny(toks[0]) && isLit(toks[1]) && isAny(toks[2]):
		lp.kind, lp.lit = likeContains, toks[1].lit
	case len(toks) == 1 && isAny(toks[0]):
		lp.kind, lp.lit = likePrefix, []byte{}
	default:
		lp.kind = likeSeq
		for _, t := range toks {
			if t.kind == tokOne {
				lp.kind = likeGeneral
			}
		}
	}
	return lp
}

// matchSeq matches a pattern of literals and %s: a literal first must be a prefix, one last a
// suffix, and the ones between are found leftmost in order (which leaves the most room for the
// rest, so it finds a match whenever there is one).
func (p *likePattern) matchSeq(s []byte) bool {
	toks := p.toks
	pos := 0
	if toks[0].kind == tokLit {
		if !bytes.HasPrefix(s, toks[0].lit) {
			return false
		}
		pos = len(toks[0].lit)
		toks = toks[1:]
	}
	var last []byte
	if n := len(toks); n > 0 && toks[n-1].kind == tokLit {
		last, toks = toks[n-1].lit, toks[:n-1]
	}
	for _, t := range toks {
		if t.kind != tokLit {
			continue
		}
		i := bytes.Index(s[pos:], t.lit)
		if i < 0 {
			return false
		}
		pos += i + len(t.lit)
	}
	if last != nil {
		return len(s)-pos >= len(last) && bytes.HasSuffix(s, last)
	}
	return true
}

func (p *likePattern) match(s []byte) bool {
	switch p.kind {
	case likeExact:
		return bytes.Equal(s, p.lit)
	case likePrefix:
		return bytes.HasPrefix(s, p.lit)
	case likeSuffix:
		return bytes.HasSuffix(s, p.lit)
	case likeContains:
		return bytes.Contains(s, p.lit)
	case likeSeq:
		return p.matchSeq(s)
	}
	toks := p.toks
	ti, si := 0, 0
	starT, starS := -1, 0
	for ti < len(toks) || si < len(s) {
		if ti < len(toks) {
			switch t := toks[ti]; t.kind {
			case tokAny:
				starT, starS = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					_, w := utf8.DecodeRune(s[si:])
					si += w
					ti++
					continue
				}
			case tokLit:
				if bytes.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			}
		}
		if starT >= 0 && starS < len(s) {
			_, w := utf8.DecodeRune(s[starS:])
			starS += w
			si, ti = starS, starT+1
			continue
		}
		return false
	}
	return true
}

type like struct {
	not      bool
	escape   byte // 0: backslash
	arg, pat node
	constant *likePattern
}

func newLike(not bool, arg, pat node) (node, error) {
	if !arg.typ().IsString() || !pat.typ().IsString() {
		if arg.typ().Kind != types.Null && pat.typ().Kind != types.Null {
			return nil, badPlan("like: arguments %s and %s are not strings", arg.typ(), pat.typ())
		}
	}
	n := &like{not: not, arg: arg, pat: pat}
	if l, ok := pat.(*literal); ok && !l.null {
		p := compileLike(l.b)
		n.constant = &p
	}
	return n, nil
}

func (n *like) typ() types.T { return boolT }

func (n *like) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	v, err := n.arg.eval(b, rows)
	if err != nil {
		return nil, err
	}
	pv, err := n.pat.eval(b, rows)
	if err != nil {
		return nil, err
	}
	out := vector.New(boolT, b.N)
	orNulls(out, b.N, v, pv)
	if v.Type.Kind == types.Null || pv.Type.Kind == types.Null {
		return out, nil
	}
	p := n.constant
	var last []byte
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		if n.constant == nil && (p == nil || !bytes.Equal(last, pv.Bytes[i])) {
			esc := n.escape
			if esc == 0 {
				esc = '\\'
			}
			cp := compileLikeEsc(pv.Bytes[i], esc)
			p, last = &cp, pv.Bytes[i]
		}
		out.Int64[i] = b2i(p.match(v.Bytes[i]) != n.not)
	}
	return out, nil
}

// ---------------------------------------------------------------- concat, upper, lower, length

type concat struct {
	t    types.T
	args []node
}

func newConcat(t types.T, args []node) (node, error) {
	if !t.IsString() {
		return nil, badPlan("concat: result type %s", t)
	}
	return &concat{t: t, args: args}, nil
}

func (n *concat) typ() types.T { return n.t }

func (n *concat) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	vs := make([]*vector.Vector, len(n.args))
	for k, a := range n.args {
		v, err := a.eval(b, rows)
		if err != nil {
			return nil, err
		}
		vs[k] = conform(v, rows, stringT)
	}
	out := vector.New(n.t, b.N)
	orNulls(out, b.N, vs...)
	size := 0
	for _, v := range vs {
		for _, i := range rows {
			size += len(v.Bytes[i])
		}
	}
	arena := make([]byte, 0, size)
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		start := len(arena)
		for _, v := range vs {
			arena = append(arena, v.Bytes[i]...)
		}
		out.Bytes[i] = arena[start:len(arena):len(arena)]
	}
	return out, nil
}

type stringUnary struct {
	name string
	t    types.T
	arg  node
}

func newStringUnary(name string, t types.T, arg node) (node, error) {
	at := arg.typ()
	if !at.IsString() && at.Kind != types.Null {
		return nil, badPlan("%s of %s", name, at)
	}
	if name == "length" && (!t.IsInteger() || t.Physical() != types.PhysInt64) {
		return nil, badPlan("length: result type %s", t)
	}
	if name != "length" && !t.IsString() {
		return nil, badPlan("%s: result type %s", name, t)
	}
	return &stringUnary{name: name, t: t, arg: arg}, nil
}

func (n *stringUnary) typ() types.T { return n.t }

func (n *stringUnary) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	v, err := n.arg.eval(b, rows)
	if err != nil {
		return nil, err
	}
	out := vector.New(n.t, b.N)
	orNulls(out, b.N, v)
	if v.Type.Kind == types.Null {
		return out, nil
	}
	if n.name == "length" {
		for _, i := range rows {
			out.Int64[i] = int64(len(v.Bytes[i]))
		}
		return out, nil
	}
	upper := n.name == "upper"
	size := 0
	for _, i := range rows {
		size += len(v.Bytes[i])
	}
	arena := make([]byte, 0, size)
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		s := v.Bytes[i]
		start := len(arena)
		if isASCII(s) {
			for _, c := range s {
				switch {
				case upper && c >= 'a' && c <= 'z':
					c -= 'a' - 'A'
				case !upper && c >= 'A' && c <= 'Z':
					c += 'a' - 'A'
				}
				arena = append(arena, c)
			}
		} else if upper {
			arena = append(arena, bytes.ToUpper(s)...)
		} else {
			arena = append(arena, bytes.ToLower(s)...)
		}
		out.Bytes[i] = arena[start:len(arena):len(arena)]
	}
	return out, nil
}

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------- substring

// substring is SUBSTRING(s, pos[, len]) with MySQL semantics over characters: pos is 1-based,
// negative pos counts from the end, pos 0 or len < 1 give ”.
type substring struct {
	t    types.T
	args []node
}

func newSubstring(t types.T, args []node) (node, error) {
	if at := args[0].typ(); !at.IsString() && at.Kind != types.Null {
		return nil, badPlan("substring of %s", at)
	}
	for _, a := range args[1:] {
		if !intLike(a.typ()) && a.typ().Kind != types.Null {
			return nil, badPlan("substring: position/length of type %s", a.typ())
		}
	}
	if !t.IsString() {
		return nil, badPlan("substring: result type %s", t)
	}
	return &substring{t: t, args: args}, nil
}

func (n *substring) typ() types.T { return n.t }

func (n *substring) eval(b *vector.Batch, rows []int32) (*vector.Vector, error) {
	vs := make([]*vector.Vector, len(n.args))
	for k, a := range n.args {
		v, err := a.eval(b, rows)
		if err != nil {
			return nil, err
		}
		vs[k] = v
	}
	out := vector.New(n.t, b.N)
	orNulls(out, b.N, vs...)
	for _, v := range vs {
		if v.Type.Kind == types.Null {
			return out, nil
		}
	}
	for _, i := range rows {
		if out.IsNull(int(i)) {
			continue
		}
		s := vs[0].Bytes[i]
		pos := vs[1].Int64[i]
		length := int64(1 << 62)
		if len(vs) == 3 {
			length = vs[2].Int64[i]
		}
		out.Bytes[i] = substr(s, pos, length)
	}
	return out, nil
}

func substr(s []byte, pos, length int64) []byte {
	if pos == 0 || length < 1 {
		return []byte{}
	}
	// From the start: when the bytes up to the end of the substring are ASCII, characters are
	// bytes and the rest of s does not matter (no scan of the whole string).
	if pos > 0 && pos <= 1<<31 && length <= 1<<31 {
		start, end := pos-1, pos-1+length
		k := int64(0)
		for n := min(end, int64(len(s))); k < n && s[k] < utf8.RuneSelf; k++ {
		}
		if k == min(end, int64(len(s))) {
			end = min(end, int64(len(s)))
			if start >= end {
				return []byte{}
			}
			return s[start:end:end]
		}
	}
	ascii := isASCII(s)
	var nchars int64
	if ascii {
		nchars = int64(len(s))
	} else {
		nchars = int64(utf8.RuneCount(s))
	}
	start := pos - 1
	if pos < 0 {
		start = nchars + pos
	}
	if start < 0 || start >= nchars {
		return []byte{}
	}
	end := nchars
	if length < nchars-start {
		end = start + length
	}
	if ascii {
		return s[start:end:end]
	}
	var bs, be, c int64
	for k := range string(s) {
		if c == start {
			bs = int64(k)
		}
		if c == end {
			be = int64(k)
			break
		}
		c++
	}
	if end == nchars {
		be = int64(len(s))
	}
	return s[bs:be:be]
}
