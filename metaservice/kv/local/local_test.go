package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/doricdb/doric/metaservice/kv"
	"github.com/doricdb/doric/metaservice/kv/kvtest"
)

func TestConformance(t *testing.T) {
	kvtest.Run(t, func(t *testing.T, o kv.Options) kv.DB {
		db, err := OpenWith(filepath.Join(t.TempDir(), "meta.db"), o)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := 10 + rand.IntN(50)
	for i := 0; i < n; i++ {
		if err := db.Update(ctx, func(tx kv.Txn) error { return tx.AtomicAdd([]byte{1, 'n'}, 1) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got int64
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		v, err := tx.Get([]byte{1, 'n'})
		got = kv.CounterValue(v)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got != int64(n) {
		t.Fatalf("after reopen: %d, want %d", got, n)
	}
}

func TestSecondOpenFailsWhileLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the lock timeout")
	}
	path := filepath.Join(t.TempDir(), "meta.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Open(path); err == nil {
		t.Fatal("a second Open of a locked file succeeded")
	}
}

// TestDurableAfterKill runs a child process that commits numbered keys and acknowledges each on
// stdout after Update returns, SIGKILLs it mid-stream and checks that every acknowledged key is
// in the file.
func TestDurableAfterKill(t *testing.T) {
	if path := os.Getenv("DORIC_KV_LOCAL_CHILD"); path != "" {
		childWriter(path)
		return
	}
	path := filepath.Join(t.TempDir(), "meta.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurableAfterKill$")
	cmd.Env = append(os.Environ(), "DORIC_KV_LOCAL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	want := 20 + rand.IntN(80)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if i, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ack ")); err == nil {
			acked = i
		}
		if acked >= want {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if acked < want {
		t.Fatalf("child acknowledged only %d commits", acked)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(context.Background(), func(tx kv.ReadTxn) error {
		for i := 0; i <= acked; i++ {
			v, err := tx.Get(childKey(i))
			if err != nil {
				return err
			}
			if v == nil {
				return fmt.Errorf("acknowledged key %d lost (acked up to %d)", i, acked)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func childKey(i int) []byte { return fmt.Appendf([]byte{1}, "k%08d", i) }

func childWriter(path string) {
	db, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		if err := db.Update(context.Background(), func(tx kv.Txn) error {
			return tx.Set(childKey(i), bytes.Repeat([]byte{'v'}, 100))
		}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("ack %d\n", i)
	}
}

// TestVersionstampsAcrossReopen: commit versions keep increasing across a close and reopen of
// the file, and are consecutive: attempts that rolled back, and read-only transactions, take no
// version.
func TestVersionstampsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	ctx := context.Background()
	var last uint64
	for round := 0; round < 3; round++ {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3+rand.IntN(10); i++ {
			// A failed attempt after a versionstamped write, and a read-only one, in between.
			if err := db.Update(ctx, func(tx kv.Txn) error {
				if err := tx.SetVersionstampedKey([]byte{1, 'l'}, nil); err != nil {
					return err
				}
				return errors.New("roll back")
			}); err == nil {
				t.Fatal("rolled-back Update succeeded")
			}
			if err := db.Update(ctx, func(tx kv.Txn) error { _, err := tx.Get([]byte{1}); return err }); err != nil {
				t.Fatal(err)
			}
			vs, err := kv.UpdateStamped(ctx, db, func(tx kv.Txn) error {
				return tx.SetVersionstampedKey([]byte{1, 'l'}, []byte{byte(round)})
			})
			if err != nil {
				t.Fatal(err)
			}
			if vs.CommitVersion() != last+1 || vs.BatchOrder() != 0 {
				t.Fatalf("round %d: stamp %s after version %d", round, vs, last)
			}
			last = vs.CommitVersion()
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFormat pins FORMAT.md: the kv bucket holds keys and values as written, the sys bucket the
// big-endian commit version of the last writing transaction, which is the versionstamp's prefix.
func TestFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := 1 + rand.IntN(5)
	var vs kv.Versionstamp
	for i := 0; i < n; i++ {
		if vs, err = kv.UpdateStamped(ctx, db, func(tx kv.Txn) error {
			return tx.SetVersionstampedValue([]byte{1, 'k'}, []byte{'v'})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.View(func(tx *bolt.Tx) error {
		want := []byte{0, 0, 0, 0, 0, 0, 0, byte(n)}
		if got := tx.Bucket([]byte("sys")).Get([]byte("commit_version")); !bytes.Equal(got, want) {
			return fmt.Errorf("sys/commit_version = %x, want %x", got, want)
		}
		want = append([]byte{'v'}, want...)
		want = append(want, 0, 0)
		if got := tx.Bucket([]byte("kv")).Get([]byte{1, 'k'}); !bytes.Equal(got, want) || !bytes.Equal(got[1:], vs[:]) {
			return fmt.Errorf("kv/01 6b = %x, want %x (stamp %x)", got, want, vs[:])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
