package stream

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doricdb/doric/compute/expr"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/compute/vector"
)

var fastTypes = []types.T{types.New(types.TinyInt), types.New(types.SmallInt), types.New(types.Int),
	types.New(types.BigInt), types.New(types.Date), types.DecimalOf(15, 2), types.DecimalOf(18, 0),
	types.DecimalOf(5, 3), types.DecimalOf(18, 18), types.DecimalOf(1, 0)}

// checkFastCast fails when fastCast and expr.Cast disagree on any row of texts (nil: NULL).
func checkFastCast(t testing.TB, texts [][]byte) {
	t.Helper()
	v := vector.NewWithCap(types.New(types.String), len(texts))
	for _, b := range texts {
		if b == nil {
			v.AppendNull()
		} else {
			v.Bytes = append(v.Bytes, b)
		}
	}
	n := len(texts)
	for _, to := range fastTypes {
		got := fastCast(v, n, to)
		want := expr.Cast(v, vector.Identity(nil, n), to)
		for r := range n {
			gn, wn := got.IsNull(r), want.IsNull(r)
			if gn != wn || !gn && got.Int64[r] != want.Int64[r] {
				t.Fatalf("%q as %s: fast cast gives %s, expr.Cast %s", texts[r], to, got.Format(r), want.Format(r))
			}
		}
	}
}

// TestFastCastAgreesWithCast compares the fast casts with expr.Cast on the spellings they take,
// on their edges and on text they must leave to expr.Cast.
func TestFastCastAgreesWithCast(t *testing.T) {
	var texts [][]byte
	add := func(ss ...string) {
		for _, s := range ss {
			texts = append(texts, []byte(s))
		}
	}
	add("0", "-0", "7", "-7", "127", "128", "-128", "-129", "32767", "32768", "2147483647", "2147483648",
		"-2147483648", "-2147483649", "999999999999999999", "-999999999999999999", "9223372036854775807",
		"9223372036854775808", "0000000000000000001", "", "-", "+5", " 5", "5 ", "1e3", "1.", ".5", "1.5", "-1.25",
		"1.234", "99999.999", "100000.00", "0.001", "12345678901234567.8", "24386.67", "0.04", "-0.10", "1.2.3",
		"1996-03-13", "0000-01-01", "0001-01-01", "9999-12-31", "2000-02-29", "1900-02-29", "2024-02-29",
		"2023-02-29", "1996-13-01", "1996-00-10", "1996-01-00", "1996-04-31", "1996-3-13", "19960313",
		"1996-03-13 10:00:00", "1996/03/13", "1996-03-1x", "abcd-ef-gh", "１２")
	texts = append(texts, nil)
	r := rand.New(rand.NewPCG(7, 8))
	for range 20000 {
		switch r.IntN(4) {
		case 0:
			add(fmt.Sprint(r.Int64() >> r.IntN(64)))
		case 1:
			add(fmt.Sprintf("%d.%0*d", r.Int64N(1_000_000)-500_000, r.IntN(4), r.IntN(1000)))
		case 2:
			add(fmt.Sprintf("%04d-%02d-%02d", r.IntN(10000), r.IntN(14), r.IntN(33)))
		default:
			b := make([]byte, r.IntN(12))
			for i := range b {
				b[i] = "0123456789-.+ e"[r.IntN(15)]
			}
			texts = append(texts, b)
		}
	}
	checkFastCast(t, texts)
}

// TestDaysFromCivil checks the calendar arithmetic against types.DaysFromCivil on every day of
// years around the edges.
func TestDaysFromCivil(t *testing.T) {
	for _, y := range []int{1, 2, 3, 4, 99, 100, 399, 400, 401, 1582, 1899, 1900, 1969, 1970, 1971, 1996, 2000, 2100, 2400, 9999} {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= daysIn(y, m); d++ {
				if got, want := daysFromCivil(y, m, d), types.DaysFromCivil(y, m, d); got != want {
					t.Fatalf("%04d-%02d-%02d: %d, want %d", y, m, d, got, want)
				}
			}
		}
	}
}

// FuzzFastCast holds the fast casts to expr.Cast's results on any text.
func FuzzFastCast(f *testing.F) {
	for _, s := range []string{"1996-03-13", "24386.67", "-12", "1.", "9999-12-31", "0.001"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFastCast(t, [][]byte{b})
	})
}
