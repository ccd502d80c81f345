package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Config says where the journal lives and how this frontend joins the raft group.
type Config struct {
	Dir    string // journal (raft log) and images (raft snapshots)
	NodeID string // raft server id; stable across restarts
	// RaftAddr is the TCP address the raft transport binds ("127.0.0.1:9010"); empty uses an
	// in-process transport, which is enough for a single voter (standalone).
	RaftAddr string
	// SnapshotThreshold is how many entries since the last image trigger a new one (0: default).
	SnapshotThreshold uint64
	Logger            *slog.Logger
}

// Catalog is the in-memory catalog and its journal.
type Catalog struct {
	mu    sync.RWMutex
	st    *state
	raft  *raft.Raft
	store *journalStore
	trans raft.Transport
	log   *slog.Logger
}

const applyTimeout = 10 * time.Second

// Open opens (or bootstraps) the journal in cfg.Dir, replays it, and waits until this node leads.
func Open(ctx context.Context, cfg Config) (*Catalog, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("catalog dir: %w", err)
	}
	c := &Catalog{st: newState(), log: cfg.Logger}
	store, err := openJournalStore(filepath.Join(cfg.Dir, "journal.db"))
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	c.store = store
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Error, Output: os.Stderr})
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 3, hlog)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("open images: %w", err)
	}
	var addr raft.ServerAddress
	if cfg.RaftAddr == "" {
		var t *raft.InmemTransport
		addr, t = raft.NewInmemTransport(raft.ServerAddress("inmem-" + cfg.NodeID))
		c.trans = t
	} else {
		t, err := raft.NewTCPTransportWithLogger(cfg.RaftAddr, nil, 3, 10*time.Second, hlog)
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("raft transport on %s: %w", cfg.RaftAddr, err)
		}
		c.trans, addr = t, t.LocalAddr()
	}
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hlog
	rc.HeartbeatTimeout = 300 * time.Millisecond
	rc.ElectionTimeout = 300 * time.Millisecond
	rc.LeaderLeaseTimeout = 300 * time.Millisecond
	if cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = cfg.SnapshotThreshold
	}
	has, err := raft.HasExistingState(store, store, snaps)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("inspect journal: %w", err)
	}
	if !has {
		boot := raft.Configuration{Servers: []raft.Server{{ID: rc.LocalID, Address: addr, Suffrage: raft.Voter}}}
		if err := raft.BootstrapCluster(rc, store, store, snaps, c.trans, boot); err != nil {
			c.close()
			return nil, fmt.Errorf("bootstrap journal: %w", err)
		}
	}
	r, err := raft.NewRaft(rc, (*fsm)(c), store, store, snaps, c.trans)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("start journal: %w", err)
	}
	c.raft = r
	if err := c.waitLeader(ctx); err != nil {
		c.Close()
		return nil, err
	}
	// A barrier commits behind every entry already in the log, so replay is complete on return.
	if err := r.Barrier(applyTimeout).Error(); err != nil {
		c.Close()
		return nil, fmt.Errorf("replay journal: %w", err)
	}
	return c, nil
}

func (c *Catalog) waitLeader(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	deadline := time.After(30 * time.Second)
	for c.raft.State() != raft.Leader {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("journal: no leadership after 30s (state %s)", c.raft.State())
		case <-t.C:
		}
	}
	return nil
}

// Close stops the journal. The catalog must not be used afterwards.
func (c *Catalog) Close() error {
	var err error
	if c.raft != nil {
		err = c.raft.Shutdown().Error()
	}
	return errors.Join(err, c.close())
}

func (c *Catalog) close() error {
	if cl, ok := c.trans.(io.Closer); ok {
		cl.Close()
	}
	return c.store.Close()
}

// Snapshot writes an image now (tests and admin use; raft also does it by itself).
func (c *Catalog) Snapshot() error { return c.raft.Snapshot().Error() }

func (c *Catalog) propose(e *entry) result {
	e.Version = formatVersion
	b, err := json.Marshal(e)
	if err != nil {
		return result{Err: fmt.Errorf("BUG: encode journal entry: %w", err)}
	}
	f := c.raft.Apply(b, applyTimeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return result{Err: &Error{Kind: NotLeader}}
		}
		return result{Err: fmt.Errorf("journal: %w", err)}
	}
	return f.Response().(result)
}

// CreateDatabase creates a database and returns its id.
func (c *Catalog) CreateDatabase(name string, ifNotExists bool) (int64, error) {
	r := c.propose(&entry{Op: opCreateDatabase, Name: name, IfNotExists: ifNotExists})
	return r.ID, r.Err
}

// DropDatabase drops a database and every table in it, and returns what it dropped (nil when
// absent and ifExists), so the caller can hand the data to the recycler.
func (c *Catalog) DropDatabase(name string, ifExists bool) (*Database, error) {
	r := c.propose(&entry{Op: opDropDatabase, Name: name, IfExists: ifExists})
	return r.Database, r.Err
}

// CreateTable adds t (ids already allocated) to database db. With ifNotExists an existing table of
// the same name is kept and its id returned.
func (c *Catalog) CreateTable(db string, t *Table, ifNotExists bool) (int64, error) {
	r := c.propose(&entry{Op: opCreateTable, DB: db, Table: t, IfNotExists: ifNotExists})
	return r.ID, r.Err
}

// DropTable removes a table and returns it as it was dropped (nil when absent and ifExists).
func (c *Catalog) DropTable(db, name string, ifExists bool) (*Table, error) {
	r := c.propose(&entry{Op: opDropTable, DB: db, Name: name, IfExists: ifExists})
	return r.Table, r.Err
}

// AddPartitions adds parts (ids assigned, tablets created) to table name of database db, which
// must still be the table with id tableID. Each is checked against the table's partitions (names
// are unique regardless of case; bounds as package partition checks them); with ifNotExists a
// partition whose name exists is skipped instead of failing. It returns the ids of the partitions
// it added. All are added or none.
func (c *Catalog) AddPartitions(db, table string, tableID int64, parts []Partition, ifNotExists bool) ([]int64, error) {
	r := c.propose(&entry{Op: opAddPartitions, DB: db, Name: table, TableID: tableID, Partitions: parts, IfNotExists: ifNotExists})
	return r.Added, r.Err
}

// DropPartition removes a partition from a table and returns it (nil when absent and ifExists).
func (c *Catalog) DropPartition(db, table, partition string, ifExists bool) (*Partition, error) {
	r := c.propose(&entry{Op: opDropPartition, DB: db, Name: table, Partition: partition, IfExists: ifExists})
	return r.Partition, r.Err
}

// AllocIDs reserves n consecutive ids and returns the first.
func (c *Catalog) AllocIDs(n int64) (int64, error) {
	r := c.propose(&entry{Op: opAllocIDs, N: n})
	return r.ID, r.Err
}

// Databases lists database names in order.
func (c *Catalog) Databases() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.databaseNames()
}

// Database returns a copy of a database with its tables.
func (c *Catalog) Database(name string) (*Database, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.st.Databases[name]
	if !ok {
		return nil, false
	}
	return d.clone(), true
}

// Table returns a copy of a table.
func (c *Catalog) Table(db, name string) (*Table, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.st.Databases[db]
	if !ok {
		return nil, &Error{Kind: UnknownDatabase, Name: db}
	}
	t := d.Table(name)
	if t == nil {
		return nil, &Error{Kind: UnknownTable, Name: name}
	}
	return t.clone(), nil
}

// fsm adapts the catalog to raft.FSM.
type fsm Catalog

func (f *fsm) Apply(l *raft.Log) interface{} {
	var e entry
	if err := json.Unmarshal(l.Data, &e); err != nil {
		return result{Err: fmt.Errorf("BUG: undecodable journal entry at index %d: %w", l.Index, err)}
	}
	if e.Version != formatVersion {
		return result{Err: fmt.Errorf("BUG: journal entry version %d at index %d", e.Version, l.Index)}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st.apply(&e)
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	b, err := f.st.marshal()
	if err != nil {
		return nil, err
	}
	return image(b), nil
}

func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	st, err := unmarshalState(b)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.st = st
	f.mu.Unlock()
	return nil
}

// image is a serialized state handed to raft's snapshot store.
type image []byte

func (i image) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(i); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (i image) Release() {}
