package duckbench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pingcap/go-tpc/tpch/dbgen"
)

// Tables are the TPC-H tables, in the order they are loaded.
var Tables = []string{"region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}

// tblFile writes rows as .tbl lines in the format of ../shared/acceptance/tpch/data: fields
// separated by '|', no trailing separator, no quoting.
type tblFile struct {
	f   *os.File
	w   *bufio.Writer
	buf []byte
}

func createTbl(path string) (*tblFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &tblFile{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// row writes one line of fields (string, int64 or dbgen money as a money value).
func (t *tblFile) row(fields ...any) error {
	b := t.buf[:0]
	for i, v := range fields {
		if i > 0 {
			b = append(b, '|')
		}
		switch v := v.(type) {
		case string:
			b = append(b, v...)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case money: // as dbgen.FmtMoney
			c := v.cents
			if c < 0 {
				b = append(b, '-')
				c = -c
			}
			b = strconv.AppendInt(b, c/100, 10)
			b = append(b, '.', byte('0'+c%100/10), byte('0'+c%10))
		default:
			return fmt.Errorf("BUG: tbl field of type %T", v)
		}
	}
	b = append(b, '\n')
	t.buf = b
	_, err := t.w.Write(b)
	return err
}

func (t *tblFile) close() error {
	if err := t.w.Flush(); err != nil {
		t.f.Close()
		return err
	}
	return t.f.Close()
}

// money is an amount in cents (dbgen's representation), written with two decimals.
type money struct{ cents int64 }

// loader adapts a function to dbgen.Loader.
type loader func(item any) error

func (l loader) Load(item any) error { return l(item) }
func (l loader) Flush() error        { return nil }

// WriteTables writes the eight TPC-H tables at integer scale factor sf into dir as <table>.tbl,
// with go-tpc's dbgen (orders with lineitem and part with partsupp are generated together, as the
// reference dbgen does). go-tpc's dbgen keeps its state in package variables: call it once per
// process.
func WriteTables(dir string, sf int) error {
	if sf < 1 {
		return fmt.Errorf("scale factor %d: go-tpc's dbgen takes integer scale factors >= 1", sf)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]*tblFile{}
	for _, t := range Tables {
		f, err := createTbl(filepath.Join(dir, t+".tbl.tmp"))
		if err != nil {
			return err
		}
		files[t] = f
	}
	defer func() {
		for _, f := range files {
			f.f.Close()
		}
	}()
	dbgen.InitDbGen(int64(sf))
	loaders := map[dbgen.Table]dbgen.Loader{
		dbgen.TRegion: loader(func(item any) error {
			r := item.(*dbgen.Region)
			return files["region"].row(int64(r.Code), r.Text, r.Comment)
		}),
		dbgen.TNation: loader(func(item any) error {
			n := item.(*dbgen.Nation)
			return files["nation"].row(int64(n.Code), n.Text, int64(n.Join), n.Comment)
		}),
		dbgen.TSupp: loader(func(item any) error {
			s := item.(*dbgen.Supp)
			return files["supplier"].row(int64(s.SuppKey), s.Name, s.Address, int64(s.NationCode), s.Phone, money{int64(s.Acctbal)}, s.Comment)
		}),
		dbgen.TCust: loader(func(item any) error {
			c := item.(*dbgen.Cust)
			return files["customer"].row(int64(c.CustKey), c.Name, c.Address, int64(c.NationCode), c.Phone, money{int64(c.Acctbal)}, c.MktSegment, c.Comment)
		}),
		dbgen.TPartPsupp: loader(func(item any) error {
			p := item.(*dbgen.Part)
			if err := files["part"].row(int64(p.PartKey), p.Name, p.Mfgr, p.Brand, p.Type, int64(p.Size), p.Container, money{int64(p.RetailPrice)}, p.Comment); err != nil {
				return err
			}
			for _, s := range p.S {
				if err := files["partsupp"].row(int64(s.PartKey), int64(s.SuppKey), int64(s.Qty), money{int64(s.SCost)}, s.Comment); err != nil {
					return err
				}
			}
			return nil
		}),
		dbgen.TOrderLine: loader(func(item any) error {
			o := item.(*dbgen.Order)
			if err := files["orders"].row(int64(o.OKey), int64(o.CustKey), o.Status, money{int64(o.TotalPrice)}, o.Date, o.OrderPriority, o.Clerk, o.ShipPriority, o.Comment); err != nil {
				return err
			}
			for i := range o.Lines {
				l := &o.Lines[i]
				if err := files["lineitem"].row(int64(l.OKey), int64(l.PartKey), int64(l.SuppKey), int64(l.LCnt), int64(l.Quantity),
					money{int64(l.EPrice)}, money{int64(l.Discount)}, money{int64(l.Tax)}, l.RFlag, l.LStatus, l.SDate, l.CDate, l.RDate,
					l.ShipInstruct, l.ShipMode, l.Comment); err != nil {
					return err
				}
			}
			return nil
		}),
	}
	// go-tpc's own order (its tpch prepare): the tables share random streams, and this order gives
	// the data the published SF 1 answers were computed on.
	order := []dbgen.Table{dbgen.TNation, dbgen.TRegion, dbgen.TCust, dbgen.TSupp, dbgen.TPartPsupp, dbgen.TOrderLine}
	if err := dbgen.DbGen(loaders, order); err != nil {
		return err
	}
	for _, t := range Tables {
		if err := files[t].close(); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(dir, t+".tbl.tmp"), filepath.Join(dir, t+".tbl")); err != nil {
			return err
		}
	}
	files = nil
	return nil
}
