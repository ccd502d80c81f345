package logictest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/doricdb/doric/frontend/testcluster"
)

// TestLogic runs every testdata/*.test file on a fresh in-process cluster.
func TestLogic(t *testing.T) {
	files, err := filepath.Glob("testdata/*.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no .test files in testdata")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".test"), func(t *testing.T) {
			c := testcluster.Start(t, testcluster.Options{})
			RunFile(t, c.DB(), f, Replace(c.DataDir(), "$DATADIR"))
		})
	}
}
