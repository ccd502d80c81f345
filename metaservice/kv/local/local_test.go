package local

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
