package mem_test

import (
	"testing"

	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/mem"
	"github.com/doricdb/doric/vault/vaulttest"
)

func TestConformance(t *testing.T) {
	vaulttest.Run(t, func(t *testing.T) vault.Storage { return mem.New() })
}
