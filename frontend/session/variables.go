package session

import (
	"sort"
	"strconv"
	"strings"

	"github.com/doricdb/doric/internal/buildinfo"
)

// variable is a session variable's value: integers are kept apart from strings because clients
// check the type (@@lower_case_table_names must be an integer for SQLAlchemy).
type variable struct {
	str   string
	num   int64
	isNum bool
}

func (v variable) String() string {
	if v.isNum {
		return strconv.FormatInt(v.num, 10)
	}
	return v.str
}

func num(n int64) variable  { return variable{num: n, isNum: true} }
func str(s string) variable { return variable{str: s} }

// defaultVariables are what a new session starts with: MySQL's names, Doris's values.
func defaultVariables() map[string]variable {
	return map[string]variable{
		"version":                    str(buildinfo.MySQLVersion()),
		"version_comment":            str("Doric " + buildinfo.Version + " (Apache Doris compatible)"),
		"sql_mode":                   str("ONLY_FULL_GROUP_BY"),
		"lower_case_table_names":     num(0),
		"transaction_isolation":      str("REPEATABLE-READ"),
		"tx_isolation":               str("REPEATABLE-READ"),
		"transaction_read_only":      num(0),
		"tx_read_only":               num(0),
		"autocommit":                 num(1),
		"auto_increment_increment":   num(1),
		"character_set_client":       str("utf8mb4"),
		"character_set_connection":   str("utf8mb4"),
		"character_set_results":      str("utf8mb4"),
		"character_set_server":       str("utf8mb4"),
		"collation_connection":       str("utf8mb4_0900_bin"),
		"collation_server":           str("utf8mb4_0900_bin"),
		"collation_database":         str("utf8mb4_0900_bin"),
		"init_connect":               str(""),
		"interactive_timeout":        num(3600),
		"wait_timeout":               num(28800),
		"net_write_timeout":          num(600),
		"net_buffer_length":          num(16384),
		"max_allowed_packet":         num(16777216),
		"license":                    str("Apache License, Version 2.0"),
		"have_query_cache":           str("YES"),
		"query_cache_size":           num(1048576),
		"query_cache_type":           num(0),
		"performance_schema":         num(0),
		"sql_select_limit":           num(9223372036854775807),
		"system_time_zone":           str("UTC"),
		"time_zone":                  str("UTC"),
		"query_timeout":              num(900),
		"insert_timeout":             num(14400),
		"exec_mem_limit":             num(2147483648),
		"parallel_pipeline_task_num": num(0), // pipeline tasks per fragment; 0: the compute node's cores
		"compute_group":              str(""),
		"show_hidden_columns":        num(0), // DESC shows hidden columns (__DORIS_DELETE_SIGN__) when set
		"language":                   str("/doric/share/english/"),
		"enable_stats":               num(1), // the optimizer uses ANALYZE TABLE's column statistics
		"enable_auto_analyze":        num(1), // a load into a table with stale statistics analyzes it in the background
	}
}

func sortedNames(m map[string]variable) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// likeMatch is SQL LIKE with % and _ (case-insensitive, as SHOW ... LIKE is in MySQL).
func likeMatch(s, pattern string) bool {
	s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	var match func(si, pi int) bool
	match = func(si, pi int) bool {
		for pi < len(pattern) {
			switch c := pattern[pi]; c {
			case '%':
				for k := si; k <= len(s); k++ {
					if match(k, pi+1) {
						return true
					}
				}
				return false
			case '_':
				if si >= len(s) {
					return false
				}
				si, pi = si+1, pi+1
			case '\\':
				if pi+1 < len(pattern) {
					pi++
				}
				fallthrough
			default:
				if si >= len(s) || s[si] != pattern[pi] {
					return false
				}
				si, pi = si+1, pi+1
			}
		}
		return si == len(s)
	}
	return match(0, 0)
}
