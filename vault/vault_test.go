package vault_test

import (
	"errors"
	"testing"

	"github.com/doricdb/doric/vault"
)

func TestPaths(t *testing.T) {
	if got := vault.SegmentPath(10017, "0af3", 2); got != "data/10017/0af3_2.dat" {
		t.Errorf("SegmentPath = %q", got)
	}
	if got := vault.RowsetPrefix(7, "r"); got != "data/7/r_" {
		t.Errorf("RowsetPrefix = %q", got)
	}
	if got := vault.TabletPrefix(7); got != "data/7/" {
		t.Errorf("TabletPrefix = %q", got)
	}
}

func TestValidate(t *testing.T) {
	for _, p := range []string{"a", "a/b.c", "data/1/x_0.dat", ".hidden/x"} {
		if err := vault.ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"", "/a", "a/", "a//b", "..", "a/./b", "a\\b"} {
		if err := vault.ValidatePath(p); !errors.Is(err, vault.ErrInvalidPath) {
			t.Errorf("ValidatePath(%q) = %v, want ErrInvalidPath", p, err)
		}
	}
	for _, p := range []string{"", "data/", "data/1", "data/1/r_"} {
		if err := vault.ValidatePrefix(p); err != nil {
			t.Errorf("ValidatePrefix(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"/", "../", "a//"} {
		if err := vault.ValidatePrefix(p); !errors.Is(err, vault.ErrInvalidPath) {
			t.Errorf("ValidatePrefix(%q) = %v, want ErrInvalidPath", p, err)
		}
	}
}
