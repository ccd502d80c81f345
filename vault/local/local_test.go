package local_test

import (
	"context"
	"io"
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

// A Put killed mid-way leaves a temporary file named for its target; DeletePrefix of a prefix
// of that target removes it, and leaves other targets' debris alone.
func TestDeletePrefixRemovesCrashDebris(t *testing.T) {
	dir := t.TempDir()
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Put(ctx, "data/7/r1_0.dat", strings.NewReader("segment 0")); err != nil {
		t.Fatal(err)
	}
	// What a crashed Put of data/7/r1_1.dat and of data/7/r2_0.dat leave behind (the name the
	// real Put gives its temporary file, see the package doc).
	debris1 := filepath.Join(dir, "data", "7", vault.ReservedPrefix+"r1_1.dat.4711")
	debris2 := filepath.Join(dir, "data", "7", vault.ReservedPrefix+"r2_0.dat.4712")
	for _, p := range []string{debris1, debris2} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeletePrefix(ctx, vault.RowsetPrefix(7, "r1")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{filepath.Join(dir, "data", "7", "r1_0.dat"): false, debris1: false, debris2: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists=%v, want %v", p, err == nil, want)
		}
	}
	// A real Put's temporary file carries the target's name (checked while the Put blocks).
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { _, err := s.Put(ctx, "data/7/r3_0.dat", pr); done <- err }()
	if _, err := pw.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}
	matches, err := filepath.Glob(filepath.Join(dir, "data", "7", vault.ReservedPrefix+"r3_0.dat.*"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("temporary file of a running Put: %v %v", matches, err)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
