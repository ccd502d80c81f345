package ast

import "testing"

func TestQuoteIdent(t *testing.T) {
	cases := map[string]string{
		"a":            "a",
		"A_b9":         "A_b9",
		"select":       "`select`",
		"Select":       "`Select`",
		"9a":           "`9a`",
		"my table":     "`my table`",
		"a`b":          "`a``b`",
		"date":         "date",
		"é":            "`é`",
		"":             "``",
		"current_user": "`current_user`",
	}
	for in, want := range cases {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestQuoteString(t *testing.T) {
	cases := map[string]string{
		"":         "''",
		"it's":     `'it\'s'`,
		"a\\b":     `'a\\b'`,
		"l1\nl2\t": `'l1\nl2\t'`,
		"\x00\x1a": `'\0\Z'`,
		`"`:        `'"'`,
	}
	for in, want := range cases {
		if got := QuoteString(in); got != want {
			t.Errorf("QuoteString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFormatExpr(t *testing.T) {
	e := &BinaryExpr{Op: OpAnd,
		L: &IsExpr{X: &ColumnRef{Table: "t", Name: "a"}, Not: true, What: IsNull},
		R: &InExpr{X: &FuncCall{Name: "f", Star: true}, List: []Expr{&Literal{Kind: LitInt, Value: "-1"}, &Literal{Kind: LitDate, Value: "2024-01-01"}}, Not: true}}
	want := "((t.a IS NOT NULL) AND (f(*) NOT IN (-1, DATE '2024-01-01')))"
	if got := Format(e); got != want {
		t.Errorf("Format = %s, want %s", got, want)
	}
}
