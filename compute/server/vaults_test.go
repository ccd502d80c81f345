package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/doricdb/doric/api/computepb"
	"github.com/doricdb/doric/api/metapb"
	"github.com/doricdb/doric/compute/computetest"
	"github.com/doricdb/doric/compute/server"
	"github.com/doricdb/doric/filecache"
	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/mem"
	"github.com/doricdb/doric/vault/s3/s3test"
)

var quiet = slog.New(slog.DiscardHandler)

// counting counts the ranged reads (GETs) that reach a backend.
type counting struct {
	vault.Storage
	reads atomic.Int64
}

func (c *counting) ReadAt(ctx context.Context, path string, p []byte, off int64) error {
	c.reads.Add(1)
	return c.Storage.ReadAt(ctx, path, p, off)
}

func s3Vault(srv *s3test.Server, bucket, prefix string) *metapb.StorageVault {
	return &metapb.StorageVault{Id: "2", Name: "s3v", Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{
		Endpoint: srv.Addr, Region: srv.Region, Bucket: bucket, Prefix: prefix, AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey, UsePathStyle: true, Provider: "S3"}}}
}

// TestVaultsCacheRemoteVaults: an S3 vault is read through a file cache in CacheDir/<id>, whose
// contents survive a reopen; a local vault is read directly.
func TestVaultsCacheRemoteVaults(t *testing.T) {
	srv := s3test.Start(t)
	meta := computetest.NewFakeMeta(instance)
	meta.AddVault(&metapb.StorageVault{Id: "1", Name: "built_in", Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: t.TempDir()}}})
	meta.AddVault(s3Vault(srv, srv.NewBucket(t), "doric"))
	cacheDir := t.TempDir()
	var mu sync.Mutex
	backends := map[string]*counting{}
	open := func(reg prometheus.Registerer) *server.Vaults {
		v, err := server.NewVaults(server.VaultsConfig{Meta: meta, InstanceID: instance, CacheDir: cacheDir,
			CacheCapacity: 64 << 20, Registerer: reg, Logger: quiet,
			Wrap: func(id string, s vault.Storage) vault.Storage {
				c := &counting{Storage: s}
				mu.Lock()
				backends[id] = c
				mu.Unlock()
				return c
			}})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	vs := open(reg)

	local, err := vs.Resolve(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := local.(*filecache.Cache); ok {
		t.Fatal("the local vault is cached")
	}
	remote, err := vs.Resolve(ctx, "2")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := remote.(*filecache.Cache); !ok {
		t.Fatalf("the S3 vault is a %T, want a file cache", remote)
	}
	if again, _ := vs.Resolve(ctx, "2"); again != remote {
		t.Fatal("a second Resolve opened the vault again")
	}
	if caches := vs.Caches(); len(caches) != 1 || caches["2"] == nil || caches["2"].Stats().Path != cacheDir+"/2" {
		t.Fatalf("caches %v", caches)
	}

	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 3*filecache.BlockSize+r.IntN(filecache.BlockSize))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	if _, err := remote.Put(ctx, "data/9/r_0.dat", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	read := func(st vault.Storage) {
		t.Helper()
		got, err := vault.ReadRange(ctx, st, "data/9/r_0.dat", 0, int64(len(data)))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back: %v", err)
		}
	}
	read(remote)
	cold := backends["2"].reads.Load()
	if cold < 1 || cold > 4 {
		t.Fatalf("a cold read of 4 blocks issued %d GETs", cold)
	}
	read(remote)
	if n := backends["2"].reads.Load(); n != cold {
		t.Fatalf("a warm read issued %d GETs", n-cold)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "doric_filecache_remote_reads_total" {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					found = found || l.GetName() == "vault" && l.GetValue() == "2" && int64(m.GetCounter().GetValue()) == cold
				}
			}
		}
	}
	if !found {
		t.Fatalf("no doric_filecache_remote_reads_total{vault=\"2\"} = %d among the metrics", cold)
	}
	if err := vs.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := vs.Resolve(ctx, "2"); !errors.Is(err, server.ErrClosed) {
		t.Fatalf("Resolve after Close: %v", err)
	}

	// A new set over the same directory (a node restart) finds the blocks.
	vs = open(prometheus.NewRegistry())
	defer vs.Close()
	remote, err = vs.Resolve(ctx, "2")
	if err != nil {
		t.Fatal(err)
	}
	read(remote)
	if n := backends["2"].reads.Load(); n != 0 {
		t.Fatalf("after a restart a cached read issued %d GETs", n)
	}
}

// TestVaultsRefresh: new credentials (a changed description) replace the backend under the same
// cache; an unchanged description, or a Meta Service that cannot be reached, keeps the old one.
func TestVaultsRefresh(t *testing.T) {
	meta := computetest.NewFakeMeta(instance)
	desc := &metapb.StorageVault{Id: "5", Name: "s3", Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{Bucket: "b", AccessKey: "ak1", SecretKey: "sk1"}}}
	meta.AddVault(desc)
	var opened []*metapb.StorageVault
	backend := mem.New()
	vs, err := server.NewVaults(server.VaultsConfig{Meta: meta, InstanceID: instance, CacheDir: t.TempDir(),
		CacheCapacity: filecache.MinCapacity, Refresh: time.Nanosecond, Logger: quiet,
		Open: func(_ context.Context, v *metapb.StorageVault) (vault.Storage, error) {
			opened = append(opened, v)
			return backend, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer vs.Close()
	ctx := context.Background()
	first, err := vs.Resolve(ctx, "5")
	if err != nil {
		t.Fatal(err)
	}
	desc.Name, desc.MtimeMs = "renamed", 99 // not a backend change
	meta.AddVault(desc)
	if st, err := vs.Resolve(ctx, "5"); err != nil || st != first || len(opened) != 1 {
		t.Fatalf("a rename reopened the vault: %v, %d opens", err, len(opened))
	}
	desc.GetS3().AccessKey, desc.GetS3().SecretKey = "ak2", "sk2"
	meta.AddVault(desc)
	st, err := vs.Resolve(ctx, "5")
	if err != nil || st != first {
		t.Fatalf("new credentials: %v; same cache %v", err, st == first)
	}
	if len(opened) != 2 || opened[1].GetS3().GetAccessKey() != "ak2" {
		t.Fatalf("opened %v", opened)
	}
}

func TestVaultsHandler(t *testing.T) {
	meta := computetest.NewFakeMeta(instance)
	meta.AddVault(&metapb.StorageVault{Id: "3", Name: "h", Backend: &metapb.StorageVault_Hdfs{Hdfs: &metapb.HdfsVault{FsDefaultFs: "hdfs://x"}}})
	backend := mem.New()
	vs, err := server.NewVaults(server.VaultsConfig{Meta: meta, InstanceID: instance, CacheDir: t.TempDir(), CacheCapacity: 8 << 20, Logger: quiet,
		Open: func(context.Context, *metapb.StorageVault) (vault.Storage, error) { return backend, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer vs.Close()
	ctx := context.Background()
	st, err := vs.Resolve(ctx, "3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backend.Put(ctx, "a", strings.NewReader(strings.Repeat("x", 100))); err != nil {
		t.Fatal(err)
	}
	if _, err := vault.ReadRange(ctx, st, "a", 0, 100); err != nil {
		t.Fatal(err)
	}
	vs.Caches()["3"].Flush() // blocks are written to disk after the read returns
	srv := httptest.NewServer(http.StripPrefix("/api/file_cache", vs.Handler()))
	defer srv.Close()
	do := func(method, path string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, buf.String())
		}
		return buf.Bytes()
	}
	var stats map[string]filecache.Stats
	if err := json.Unmarshal(do("GET", "/api/file_cache", 200), &stats); err != nil || stats["3"].Blocks != 1 {
		t.Fatalf("stats %v %v", stats, err)
	}
	var one filecache.Stats
	if err := json.Unmarshal(do("GET", "/api/file_cache/3/stats", 200), &one); err != nil || one.Blocks != 1 {
		t.Fatalf("stats of vault 3: %+v %v", one, err)
	}
	do("GET", "/api/file_cache/9", 404)
	do("GET", "/api/file_cache/clear", 405)
	var cleared map[string]int64
	if err := json.Unmarshal(do("POST", "/api/file_cache/clear", 200), &cleared); err != nil || cleared["blocks"] != 1 {
		t.Fatalf("clear: %v %v", cleared, err)
	}
	if err := json.Unmarshal(do("GET", "/api/file_cache?op=stats", 200), &stats); err != nil || stats["3"].Blocks != 0 {
		t.Fatalf("stats after clear %v %v", stats, err)
	}
}

// TestCheckVault: the RPC says which step of the probe failed instead of failing itself.
func TestCheckVault(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	resp, err := c.client.CheckVault(ctx, &computepb.CheckVaultRequest{Vault: &metapb.StorageVault{Name: "l",
		Backend: &metapb.StorageVault_Local{Local: &metapb.LocalVault{Root: t.TempDir()}}}})
	if err != nil || !resp.GetOk() {
		t.Fatalf("local: %v %v", resp, err)
	}
	resp, err = c.client.CheckVault(ctx, &computepb.CheckVaultRequest{Vault: &metapb.StorageVault{Name: "h",
		Backend: &metapb.StorageVault_Hdfs{Hdfs: &metapb.HdfsVault{FsDefaultFs: "hdfs://127.0.0.1:1", HadoopUsername: "u"}}}})
	if err != nil || resp.GetOk() || resp.GetStep() != "open" || !strings.Contains(resp.GetMessage(), "127.0.0.1:1") {
		t.Fatalf("unreachable namenode: %v %v", resp, err)
	}
	if _, err := c.client.CheckVault(ctx, &computepb.CheckVaultRequest{}); err == nil {
		t.Fatal("a request without a vault succeeded")
	}

	srv := s3test.Start(t)
	good := s3Vault(srv, srv.NewBucket(t), "p")
	resp, err = c.client.CheckVault(ctx, &computepb.CheckVaultRequest{Vault: good})
	if err != nil || !resp.GetOk() {
		t.Fatalf("s3: %v %v", resp, err)
	}
	bad := s3Vault(srv, srv.NewBucket(t), "p")
	bad.GetS3().SecretKey = "wrong"
	resp, err = c.client.CheckVault(ctx, &computepb.CheckVaultRequest{Vault: bad})
	if err != nil || resp.GetOk() || resp.GetStep() != vault.CheckWrite {
		t.Fatalf("wrong secret: %v %v", resp, err)
	}
	missing := s3Vault(srv, "no-such-bucket", "p")
	resp, err = c.client.CheckVault(ctx, &computepb.CheckVaultRequest{Vault: missing})
	if err != nil || resp.GetOk() || resp.GetStep() != vault.CheckWrite {
		t.Fatalf("missing bucket: %v %v", resp, err)
	}
}

// TestVaultsConcurrentResolve: concurrent first uses of a vault open it once, with one cache.
func TestVaultsConcurrentResolve(t *testing.T) {
	meta := computetest.NewFakeMeta(instance)
	meta.AddVault(&metapb.StorageVault{Id: "4", Name: "s", Backend: &metapb.StorageVault_S3{S3: &metapb.S3Vault{Bucket: "b"}}})
	var opens atomic.Int64
	vs, err := server.NewVaults(server.VaultsConfig{Meta: meta, InstanceID: instance, CacheDir: t.TempDir(),
		CacheCapacity: filecache.MinCapacity, Logger: quiet, Registerer: prometheus.NewRegistry(),
		Open: func(context.Context, *metapb.StorageVault) (vault.Storage, error) {
			opens.Add(1)
			return mem.New(), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer vs.Close()
	n := 2 + rand.IntN(30)
	got := make([]vault.Storage, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := vs.Resolve(context.Background(), "4")
			if err != nil {
				t.Error(err)
			}
			got[i] = st
		}()
	}
	wg.Wait()
	for _, st := range got[1:] {
		if st != got[0] {
			t.Fatal("concurrent resolves returned different storages")
		}
	}
	if opens.Load() != 1 || len(vs.Caches()) != 1 {
		t.Fatalf("%d opens, %d caches", opens.Load(), len(vs.Caches()))
	}
}
