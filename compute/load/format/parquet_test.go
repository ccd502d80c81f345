package format_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/doricdb/doric/compute/load/format"
)

type pqRow struct {
	ID     int32     `parquet:"id"`
	Name   *string   `parquet:"name,optional"`
	Amount int64     `parquet:"amount,decimal(2:10)"`
	Day    int32     `parquet:"day,date"`
	At     time.Time `parquet:"at,timestamp(microsecond)"`
	Score  float64   `parquet:"score"`
	OK     bool      `parquet:"ok"`
}

func TestParquet(t *testing.T) {
	ann := "ann"
	rows := []pqRow{
		{ID: 1, Name: &ann, Amount: 1050, Day: 19724, At: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC), Score: 0.5, OK: true},
		{ID: 2, Name: nil, Amount: -7, Day: 0, At: time.Unix(0, 0).UTC(), Score: -1e20, OK: false},
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows, parquet.PageBufferSize(64)); err != nil {
		t.Fatal(err)
	}
	r, err := format.NewParquet(bytes.NewReader(buf.Bytes()), format.ParquetOptions{
		Columns: []string{"ID", "name", "amount", "day", "at", "score", "ok", "missing"}, BatchRows: 1 + rand.IntN(3)})
	if err != nil {
		t.Fatal(err)
	}
	got := render(r)
	want := `1: "1" "ann" "10.50" "2024-01-02" "2024-01-02 03:04:05.000006" "0.5" "1" NULL
2: "2" NULL "-0.07" "1970-01-01" "1970-01-01 00:00:00.000000" "-1e+20" "0" NULL
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}

	// Not a parquet file: a syntax error naming a position, never a panic.
	for _, bad := range [][]byte{nil, []byte("PAR1"), []byte("hello, world"), buf.Bytes()[:buf.Len()/2]} {
		r, _ := format.NewParquet(bytes.NewReader(bad), format.ParquetOptions{Columns: []string{"id"}})
		_, err := r.Next()
		var se *format.SyntaxError
		if err == io.EOF {
			continue
		}
		if err == nil || !asSyntax(err, &se) || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%d bytes: %v", len(bad), err)
		}
	}
	// Damaged pages: whatever comes out, no panic, and errors name a position.
	rnd := rand.New(rand.NewPCG(rand.Uint64(), 3))
	for range 50 {
		bad := append([]byte(nil), buf.Bytes()...)
		for range 1 + rnd.IntN(8) {
			bad[4+rnd.IntN(len(bad)-8)] ^= byte(1 + rnd.IntN(255))
		}
		r, _ := format.NewParquet(bytes.NewReader(bad), format.ParquetOptions{Columns: []string{"id", "name", "amount", "at"}})
		drain(t, r)
	}
}

func asSyntax(err error, se **format.SyntaxError) bool {
	s, ok := err.(*format.SyntaxError)
	*se = s
	return ok
}
