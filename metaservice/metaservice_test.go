package metaservice

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/metaservice/client"
	"github.com/doricdb/doric/metaservice/instance"
	"github.com/doricdb/doric/metaservice/kv"
)

func TestServiceLifecycle(t *testing.T) {
	dir := t.TempDir()
	kvPath := filepath.Join(dir, "meta", "meta.db")
	s, err := New(Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", KVPath: kvPath})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()

	vaultRoot := filepath.Join(dir, "vault")
	for range 2 { // idempotent
		if err := Bootstrap(ctx, s.Addr(), "doric", vaultRoot, "default"); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.Dial(ctx, s.Addr(), "doric")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g, err := c.GetComputeGroup(ctx, &metapb.GetComputeGroupRequest{Name: "default"})
	if err != nil || g.GetGroup().GetName() != "default" {
		t.Fatalf("default group: %v %v", g, err)
	}
	v, err := c.GetStorageVault(ctx, &metapb.GetStorageVaultRequest{})
	if err != nil || v.GetVault().GetLocal().GetRoot() != vaultRoot {
		t.Fatalf("default vault: %v %v", v, err)
	}

	resp, err := http.Get("http://" + s.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `doric_meta_rpc_total{code="OK",method="/doric.meta.MetaService/GetComputeGroup"} 1`) {
		t.Fatalf("metrics lack the RPC counter:\n%s", body)
	}

	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The store was closed by Run and holds the instance.
	db, err := OpenKV(kvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(ctx, func(tx kv.ReadTxn) error {
		info, err := instance.Get(tx, "doric")
		if err == nil && info.GetDefaultVaultId() == "" {
			t.Errorf("instance without default vault: %v", info)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestCloseWithoutRun(t *testing.T) {
	kvPath := filepath.Join(t.TempDir(), "meta.db")
	s, err := New(Config{GRPCAddr: "127.0.0.1:0", KVPath: kvPath})
	if err != nil {
		t.Fatal(err)
	}
	if s.HTTPAddr() != "" {
		t.Fatalf("HTTP listener without HTTPAddr: %s", s.HTTPAddr())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The file is released.
	db, err := OpenKV(kvPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}
