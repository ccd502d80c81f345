package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is a JSON path of Doris's jsonpaths and json_root headers: `$` followed by members
// (`.name`, `['name']`, `["name"]`) and array indexes (`[n]`).
type Path struct {
	text  string
	steps []step
}

type step struct {
	key   string
	index int // >= 0: an array index; -1: a member
}

func (p *Path) String() string { return p.text }

// ParsePath parses a JSON path.
func ParsePath(s string) (*Path, error) {
	p := &Path{text: s}
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "$") {
		return nil, fmt.Errorf("json path %q does not start with '$'", s)
	}
	t = t[1:]
	for len(t) > 0 {
		switch t[0] {
		case '.':
			t = t[1:]
			end := strings.IndexAny(t, ".[")
			if end < 0 {
				end = len(t)
			}
			if end == 0 {
				return nil, fmt.Errorf("json path %q: empty member name", s)
			}
			p.steps = append(p.steps, step{key: t[:end], index: -1})
			t = t[end:]
		case '[':
			end := strings.IndexByte(t, ']')
			if end < 0 {
				return nil, fmt.Errorf("json path %q: '[' without ']'", s)
			}
			in := t[1:end]
			t = t[end+1:]
			if len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0] {
				p.steps = append(p.steps, step{key: in[1 : len(in)-1], index: -1})
				continue
			}
			n, err := strconv.Atoi(in)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("json path %q: bad index [%s]", s, in)
			}
			p.steps = append(p.steps, step{index: n})
		default:
			return nil, fmt.Errorf("json path %q: unexpected %q", s, t[0])
		}
	}
	return p, nil
}

// ParsePaths parses the jsonpaths header: a JSON array of path strings.
func ParsePaths(header string) ([]*Path, error) {
	var texts []string
	if err := json.Unmarshal([]byte(header), &texts); err != nil {
		return nil, fmt.Errorf("jsonpaths %q is not a JSON array of strings: %v", header, err)
	}
	out := make([]*Path, len(texts))
	for i, t := range texts {
		p, err := ParsePath(t)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// eval follows the path from a raw JSON value; ok=false when a step does not exist.
func (p *Path) eval(raw json.RawMessage) (json.RawMessage, bool) {
	cur := raw
	for _, s := range p.steps {
		cur = bytes.TrimSpace(cur)
		if len(cur) == 0 {
			return nil, false
		}
		if s.index >= 0 {
			if cur[0] != '[' {
				return nil, false
			}
			var arr []json.RawMessage
			if json.Unmarshal(cur, &arr) != nil || s.index >= len(arr) {
				return nil, false
			}
			cur = arr[s.index]
			continue
		}
		if cur[0] != '{' {
			return nil, false
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(cur, &obj) != nil {
			return nil, false
		}
		v, ok := obj[s.key]
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}
