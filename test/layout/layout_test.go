// Package layout checks where the slice puts things, against DESIGN.md §3: every Meta Service
// key is in one of Doris's key families, and every segment file is at
// data/{tablet_id}/{rowset_id}_{segment_id}.dat in the vault, named by a visible rowset.
package layout

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/frontend/testcluster"
	"github.com/doricdb/doric/metaservice/keys"
	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/local"
	"github.com/doricdb/doric/vault"
)

var families = map[string]bool{`"instance"`: true, `"txn"`: true, `"version"`: true, `"meta"`: true,
	`"stats"`: true, `"recycle"`: true, `"job"`: true, `"storage_vault"`: true}

func TestKeysAndFilesFollowTheDesign(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	db := c.DB()
	for _, q := range []string{
		"CREATE DATABASE d",
		"CREATE TABLE d.t (k INT NOT NULL, v VARCHAR(10)) DISTRIBUTED BY HASH(k) BUCKETS 3",
		"INSERT INTO d.t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')",
		"INSERT INTO d.t VALUES (5, 'e')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	c.Stop()

	store, err := local.Open(filepath.Join(c.DataDir(), "meta", "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var all []kv.KeyValue
	err = store.View(context.Background(), func(tx kv.ReadTxn) error {
		var err error
		all, err = tx.GetRange([]byte{0x00}, []byte{0xff}, 0, false)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("the KV store is empty")
	}
	// Every key is a tagged key of one family; remember the visible rowsets.
	rowsets := map[string]*metapb.RowsetMeta{}
	for _, e := range all {
		p := keys.Pretty(e.Key)
		parts := strings.Split(p, "/")
		if strings.HasPrefix(p, "<") || len(parts) < 4 || parts[1] != "01" || !families[parts[2]] {
			t.Errorf("key %s is not in a DESIGN.md §3 family", p)
			continue
		}
		if rk, err := keys.ParseRowset(e.Key); err == nil {
			rs := &metapb.RowsetMeta{}
			if err := proto.Unmarshal(e.Value, rs); err != nil {
				t.Fatalf("rowset %s: %v", p, err)
			}
			if rs.TabletId != rk.TabletID || rs.EndVersion != rk.EndVersion {
				t.Errorf("rowset key %s holds rowset of tablet %d version %d", p, rs.TabletId, rs.EndVersion)
			}
			rowsets[rs.RowsetId] = rs
		}
	}
	if len(rowsets) == 0 {
		t.Fatal("no visible rowsets after two INSERTs")
	}
	// Every file in the vault is a segment of a visible rowset, at its arithmetic path, and every
	// segment of every visible rowset is there.
	root := filepath.Join(c.DataDir(), "vault")
	seen := map[string]bool{}
	pathRe := regexp.MustCompile(`^data/(\d+)/([0-9A-Za-z-]+)_(\d+)\.dat$`)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		m := pathRe.FindStringSubmatch(rel)
		if m == nil {
			t.Errorf("vault file %s is not data/{tablet_id}/{rowset_id}_{segment_id}.dat", rel)
			return nil
		}
		rs, ok := rowsets[m[2]]
		if !ok {
			t.Errorf("vault file %s belongs to no visible rowset", rel)
			return nil
		}
		if fmt.Sprint(rs.TabletId) != m[1] {
			t.Errorf("vault file %s is under tablet %s, its rowset is of tablet %d", rel, m[1], rs.TabletId)
		}
		seen[rel] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range rowsets {
		for s := 0; s < int(rs.NumSegments); s++ {
			if p := vault.SegmentPath(rs.TabletId, rs.RowsetId, s); !seen[p] {
				t.Errorf("segment %s of rowset %s is missing from the vault", p, rs.RowsetId)
			}
		}
	}
}
