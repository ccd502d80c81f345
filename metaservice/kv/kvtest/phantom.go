package kvtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/doricdb/doric/metaservice/kv"
)

// barrier lets n goroutines wait for each other, until a deadline set by the first arrival: on
// a backend that runs transactions concurrently they all meet, on one that serialises them
// (local) the first waits alone until the deadline and the later ones do not wait at all.
type barrier struct {
	mu       sync.Mutex
	arrived  int
	n        int
	deadline time.Time
	all      chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait(d time.Duration) {
	b.mu.Lock()
	b.arrived++
	if b.arrived == 1 {
		b.deadline = time.Now().Add(d)
	}
	if b.arrived == b.n {
		close(b.all)
	}
	left := time.Until(b.deadline)
	b.mu.Unlock()
	if left <= 0 {
		return
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-b.all:
	case <-t.C:
	}
}

// phantomWriteSkew: each of several transactions reads a range and, when it is empty, inserts
// its own key into it. Serializable transactions leave exactly one key; a store that does not
// make a range read conflict with a concurrent insert into the range (snapshot isolation) lets
// all of them see the empty range and insert. The barrier makes the transactions overlap where
// the store lets them.
func (s *suite) phantomWriteSkew(t *testing.T) {
	db := s.db(t, s.options())
	rounds, workers := s.intn(4, 8), s.intn(2, 4)
	wait := time.Duration(s.intn(10, 30)) * time.Millisecond
	for r := 0; r < rounds; r++ {
		begin, end := k("room", strconv.Itoa(r), ""), k("room", strconv.Itoa(r), "\xff")
		b := newBarrier(workers)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Go(func() {
				first := true
				err := db.Update(ctx, func(tx kv.Txn) error {
					in, err := tx.GetRange(begin, end, 0, false)
					if err != nil || len(in) > 0 {
						return err // taken (by this worker's earlier attempt, or another)
					}
					if first {
						first = false
						b.wait(wait)
					}
					return tx.Set(k("room", strconv.Itoa(r), "w"+strconv.Itoa(w)), nil)
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := scan(t, db, begin, end); len(got) != 1 {
			t.Fatalf("round %d: %d workers inserted into the range they all read empty (%s): a range read did not conflict with a concurrent insert", r, len(got), render(got))
		}
	}
}

// phantomSequence: concurrent transactions each find the last entry of a range (a reverse read
// with limit 1) and append the next sequence number with their own id — distinct keys, so only
// the range read can make them conflict. Serializable transactions give the numbers 1..N once
// each; without range-read conflicts two transactions take the same number.
func (s *suite) phantomSequence(t *testing.T) {
	db := s.db(t, s.options())
	workers, each := s.intn(3, 6), s.intn(5, 12)
	prefix := k("seq")
	seqKey := func(n uint64, w int) []byte {
		return append(binary.BigEndian.AppendUint64(bytes.Clone(prefix), n), byte(w))
	}
	end := append(bytes.Clone(prefix), 0xFF)
	b := newBarrier(workers)
	wait := time.Duration(s.intn(10, 30)) * time.Millisecond
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			first := true
			for i := 0; i < each; i++ {
				err := db.Update(ctx, once(k("op", strconv.Itoa(w), strconv.Itoa(i)), func(tx kv.Txn) error {
					last, err := tx.GetRange(prefix, end, 1, true)
					if err != nil {
						return err
					}
					// Let concurrent transactions read the same last entry: all of them at
					// the first append, by chance afterwards.
					if first {
						first = false
						b.wait(wait)
					}
					runtime.Gosched()
					var n uint64
					if len(last) == 1 {
						n = binary.BigEndian.Uint64(last[0].Key[len(prefix):])
					}
					return tx.Set(seqKey(n+1, w), []byte(fmt.Sprint(w, i)))
				}))
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := scan(t, db, prefix, end)
	if len(got) != workers*each {
		t.Fatalf("%d entries, want %d", len(got), workers*each)
	}
	for i, e := range got {
		if n := binary.BigEndian.Uint64(e.Key[len(prefix):]); n != uint64(i+1) {
			t.Fatalf("entry %d has sequence number %d, want %d: two transactions appended after the same last entry", i, n, i+1)
		}
	}
}
