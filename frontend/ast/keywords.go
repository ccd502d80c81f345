package ast

import "strings"

// reserved are the words that cannot be used as unquoted identifiers (table, column and alias
// names). Every other keyword of the dialect (DATE, COMMENT, ENGINE, BUCKETS, FULL, ...) is
// non-reserved, as in Doris. Read-only after initialisation.
var reserved = map[string]bool{
	"ALL": true, "ALTER": true, "AND": true, "AS": true, "ASC": true, "BETWEEN": true, "BY": true,
	"CASE": true, "CAST": true, "CREATE": true, "CROSS": true, "CURRENT_DATE": true,
	"CURRENT_TIME": true, "CURRENT_TIMESTAMP": true, "CURRENT_USER": true, "DATABASE": true, "DATABASES": true,
	"DEFAULT": true, "DELETE": true, "DESC": true, "DESCRIBE": true, "DISTINCT": true,
	"DISTRIBUTED": true, "DIV": true, "DROP": true, "ELSE": true, "END": true, "EXISTS": true,
	"EXPLAIN": true, "FALSE": true, "FROM": true, "GROUP": true, "HAVING": true, "IN": true,
	"INNER": true, "INSERT": true, "INTERVAL": true, "INTO": true, "IS": true, "JOIN": true,
	"KEY": true, "LEFT": true, "LIKE": true, "LIMIT": true, "LOCALTIME": true,
	"LOCALTIMESTAMP": true, "MOD": true, "NOT": true, "NULL": true, "ON": true, "OR": true,
	"ORDER": true, "OUTER": true, "PARTITION": true, "REGEXP": true, "RIGHT": true, "RLIKE": true,
	"SELECT": true, "SET": true, "SHOW": true, "TABLE": true, "THEN": true, "TRUE": true,
	"UNION": true, "UPDATE": true, "USE": true, "USING": true, "VALUES": true, "WHEN": true,
	"WHERE": true, "WITH": true, "XOR": true,
}

// IsReserved reports whether word (any case) is a reserved word.
func IsReserved(word string) bool { return reserved[strings.ToUpper(word)] }

// QuoteIdent renders a name as an identifier: bare when it is a plain word that is not reserved,
// back-quoted (with ` doubled) otherwise.
func QuoteIdent(name string) string {
	if isPlainWord(name) && !IsReserved(name) {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

func isPlainWord(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// quoteVarName renders a variable name after @ or @@scope.: bare when it is made of word
// characters, back-quoted otherwise.
func quoteVarName(name string) string {
	plain := name != ""
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80) {
			plain = false
		}
	}
	if plain {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
