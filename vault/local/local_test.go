package local_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/local"
	"github.com/doricdb/doric/vault/vaulttest"
)

func TestConformance(t *testing.T) {
	vaulttest.Run(t, func(t *testing.T) vault.Storage {
		s, err := local.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A crash between writing the temporary file and the rename leaves a temporary file: it must be
// invisible to readers and listings, and a failed Put must not leave one.
func TestTemporaryFilesInvisible(t *testing.T) {
	dir := t.TempDir()
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Put(ctx, "data/1/x_0.dat", strings.NewReader("complete")); err != nil {
		t.Fatal(err)
	}
	// Simulate the debris of a crashed Put.
	crashed := filepath.Join(dir, "data", "1", vault.ReservedPrefix+"123")
	if err := os.WriteFile(crashed, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := s.List(ctx, "data/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Path != "data/1/x_0.dat" {
		t.Fatalf("list shows %+v", objs)
	}
	// A failed Put cleans up its own temporary file.
	if _, err := s.Put(ctx, "data/1/y_0.dat", errReader{}); err == nil {
		t.Fatal("put from a failing reader succeeded")
	}
	var temps int
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), vault.ReservedPrefix) {
			temps++
		}
		return nil
	})
	if temps != 1 {
		t.Fatalf("found %d temporary files, want only the simulated one", temps)
	}
	// Deleting the last object removes its emptied directories.
	if err := os.Remove(crashed); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePrefix(ctx, "data/"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Fatalf("emptied directory remains: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fs.ErrClosed }
