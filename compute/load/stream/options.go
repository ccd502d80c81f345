package stream

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/doricdb/doric/compute/load/format"
)

// Formats a load body may have (the `format` header, case-insensitive).
const (
	FormatCSV                  = "csv"
	FormatCSVWithNames         = "csv_with_names"
	FormatCSVWithNamesAndTypes = "csv_with_names_and_types"
	FormatJSON                 = "json"
	FormatParquet              = "parquet"
)

// Group commit modes (the `group_commit` header).
const (
	GroupCommitOff   = "off_mode"
	GroupCommitSync  = "sync_mode"
	GroupCommitAsync = "async_mode"
)

// DefaultTimeout is a load's timeout without a `timeout` header (Doris's 600 s).
const DefaultTimeout = 600 * time.Second

// Options are a stream load's headers, parsed. Headers this package does not know
// (exec_mem_limit, send_batch_parallelism, timezone, ...) are ignored.
type Options struct {
	Label          string
	Comment        string
	Format         string
	Compress       string // compress_type: "", gz, bz2, lz4, deflate, zstd
	Columns        string // forwarded to the frontend's plan
	Where          string
	Partitions     string
	MaxFilterRatio float64
	StrictMode     bool
	Timeout        time.Duration
	TwoPhaseCommit bool
	GroupCommit    string // "" or off_mode: none

	// CSV
	ColumnSeparator  []byte
	LineDelimiter    []byte
	Enclose          byte
	Escape           byte
	TrimDoubleQuotes bool
	SkipLines        int

	// JSON
	JSONPaths       []*format.Path
	JSONRoot        *format.Path
	StripOuterArray bool
	ReadJSONByLine  bool
}

// OptionError is a header with a value that cannot be used.
type OptionError struct {
	Header string
	Value  string
	Msg    string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("header %s: %q: %s", e.Header, e.Value, e.Msg)
}

// ParseOptions reads a stream load's headers.
func ParseOptions(h http.Header) (*Options, error) {
	o := &Options{Format: FormatCSV, Timeout: DefaultTimeout, ColumnSeparator: []byte{'\t'}, LineDelimiter: []byte{'\n'}, Escape: '\\'}
	get := func(k string) (string, bool) {
		vs, ok := h[http.CanonicalHeaderKey(k)]
		if !ok || len(vs) == 0 {
			return "", false
		}
		return vs[0], true
	}
	bad := func(k, v, format string, a ...any) error {
		return &OptionError{Header: k, Value: v, Msg: fmt.Sprintf(format, a...)}
	}
	boolean := func(k string, dst *bool) error {
		v, ok := get(k)
		if !ok {
			return nil
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			*dst = true
		case "false":
			*dst = false
		default:
			return bad(k, v, "must be true or false")
		}
		return nil
	}
	o.Label, _ = get("label")
	o.Label = strings.TrimSpace(o.Label)
	if len(o.Label) > 128 {
		return nil, bad("label", o.Label, "longer than 128 characters")
	}
	for _, c := range o.Label {
		if !(c == '-' || c == '_' || c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return nil, bad("label", o.Label, "may hold only letters, digits, '-', '_', ':' and '.'")
		}
	}
	o.Comment, _ = get("comment")
	o.Columns, _ = get("columns")
	o.Where, _ = get("where")
	o.Partitions, _ = get("partitions")
	if v, ok := get("format"); ok && strings.TrimSpace(v) != "" {
		f := strings.ToLower(strings.TrimSpace(v))
		switch f {
		case FormatCSV, FormatCSVWithNames, FormatCSVWithNamesAndTypes, FormatJSON, FormatParquet:
			o.Format = f
		default:
			return nil, bad("format", v, "unknown format (csv, csv_with_names, csv_with_names_and_types, json, parquet)")
		}
	}
	if v, ok := get("compress_type"); ok {
		c := strings.ToLower(strings.TrimSpace(v))
		switch c {
		case "", "plain":
			c = ""
		case "gz", "gzip":
			c = "gz"
		case "bz2", "lz4", "lz4frame", "deflate", "zstd":
			if c == "lz4frame" {
				c = "lz4"
			}
		default:
			return nil, bad("compress_type", v, "unknown compression (gz, bz2, lz4, deflate, zstd)")
		}
		o.Compress = c
	}
	if v, ok := get("max_filter_ratio"); ok {
		r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || r < 0 || r > 1 {
			return nil, bad("max_filter_ratio", v, "must be a number between 0 and 1")
		}
		o.MaxFilterRatio = r
	}
	if err := boolean("strict_mode", &o.StrictMode); err != nil {
		return nil, err
	}
	if v, ok := get("timeout"); ok {
		s, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || s < 1 || s > 259200 {
			return nil, bad("timeout", v, "must be a number of seconds between 1 and 259200")
		}
		o.Timeout = time.Duration(s) * time.Second
	}
	if err := boolean("two_phase_commit", &o.TwoPhaseCommit); err != nil {
		return nil, err
	}
	if v, ok := get("group_commit"); ok {
		g := strings.ToLower(strings.TrimSpace(v))
		switch g {
		case GroupCommitOff, "":
			g = ""
		case GroupCommitSync, GroupCommitAsync:
		default:
			return nil, bad("group_commit", v, "must be async_mode, sync_mode or off_mode")
		}
		o.GroupCommit = g
	}
	if o.GroupCommit != "" && o.Label != "" {
		return nil, bad("group_commit", o.GroupCommit, "a load with a label cannot use group commit")
	}
	if o.GroupCommit != "" && o.TwoPhaseCommit {
		return nil, bad("group_commit", o.GroupCommit, "a two-phase-commit load cannot use group commit")
	}

	var err error
	if v, ok := get("column_separator"); ok {
		if o.ColumnSeparator, err = separator(v); err != nil {
			return nil, bad("column_separator", v, "%v", err)
		}
	}
	if v, ok := get("line_delimiter"); ok {
		if o.LineDelimiter, err = separator(v); err != nil {
			return nil, bad("line_delimiter", v, "%v", err)
		}
	}
	for _, k := range []string{"enclose", "escape"} {
		v, ok := get(k)
		if !ok {
			continue
		}
		b, err := separator(v)
		if err != nil || len(b) > 1 {
			return nil, bad(k, v, "must be one byte")
		}
		var c byte
		if len(b) == 1 {
			c = b[0]
		}
		if k == "enclose" {
			o.Enclose = c
		} else {
			o.Escape = c
		}
	}
	if err := boolean("trim_double_quotes", &o.TrimDoubleQuotes); err != nil {
		return nil, err
	}
	if v, ok := get("skip_lines"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return nil, bad("skip_lines", v, "must be a non-negative integer")
		}
		o.SkipLines = n
	}
	if v, ok := get("jsonpaths"); ok && strings.TrimSpace(v) != "" {
		if o.JSONPaths, err = format.ParsePaths(v); err != nil {
			return nil, bad("jsonpaths", v, "%v", err)
		}
		if len(o.JSONPaths) == 0 {
			return nil, bad("jsonpaths", v, "no path")
		}
	}
	if v, ok := get("json_root"); ok && strings.TrimSpace(v) != "" {
		if o.JSONRoot, err = format.ParsePath(v); err != nil {
			return nil, bad("json_root", v, "%v", err)
		}
	}
	if err := boolean("strip_outer_array", &o.StripOuterArray); err != nil {
		return nil, err
	}
	if err := boolean("read_json_by_line", &o.ReadJSONByLine); err != nil {
		return nil, err
	}
	return o, nil
}

// separator decodes a separator header: `\x` or `0x` followed by hex digits (several bytes as
// \x01\x02 or \x0102), or text in which
// \t, \n, \r and \\ stand for tab, newline, carriage return and backslash.
func separator(v string) ([]byte, error) {
	if len(v) > 2 && (strings.EqualFold(v[:2], `\x`) || strings.EqualFold(v[:2], "0x")) {
		digits := strings.NewReplacer(`\x`, "", `\X`, "").Replace(v[2:]) // \x01\x02 and \x0102 alike
		b, err := hex.DecodeString(digits)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("bad hexadecimal separator")
		}
		return b, nil
	}
	var out []byte
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			switch v[i+1] {
			case 't':
				out = append(out, '\t')
				i++
				continue
			case 'n':
				out = append(out, '\n')
				i++
				continue
			case 'r':
				out = append(out, '\r')
				i++
				continue
			case '\\':
				out = append(out, '\\')
				i++
				continue
			}
		}
		out = append(out, v[i])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty separator")
	}
	return out, nil
}
