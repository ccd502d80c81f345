package filecache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Kind is the queue a block belongs to, chosen by the hint of the read that brought it in.
type Kind uint8

// The queues. The zero value is Normal.
const (
	Normal     Kind = iota // query reads of data pages
	Index                  // index pages (footers, zone maps, short keys, blooms)
	Disposable             // compaction reads: cached briefly, evicted first
	TTL                    // tables with a cache TTL: kept until their expiration, then Normal
	numKinds
)

var kindNames = [numKinds]string{"normal", "index", "disposable", "ttl"}

func (k Kind) String() string {
	if k >= numKinds {
		return fmt.Sprintf("Kind(%d)", k)
	}
	return kindNames[k]
}

// Shares are the queues' shares of the capacity, as eviction ratios rather than walls: a queue
// may use free space beyond its share, and when space is needed the queue furthest above its
// share (usage ÷ share) gives up its least recently used block.
type Shares struct {
	TTL, Normal, Index, Disposable float64
}

// DefaultShares are Doris's: TTL 50 %, normal 40 %, index 5 %, disposable 5 %.
func DefaultShares() Shares { return Shares{TTL: 0.50, Normal: 0.40, Index: 0.05, Disposable: 0.05} }

func (s Shares) of(k Kind) float64 {
	switch k {
	case TTL:
		return s.TTL
	case Normal:
		return s.Normal
	case Index:
		return s.Index
	default:
		return s.Disposable
	}
}

// normalized checks the shares and scales them to sum to 1.
func (s Shares) normalized() (Shares, error) {
	if s == (Shares{}) {
		return DefaultShares(), nil
	}
	sum := 0.0
	for k := Kind(0); k < numKinds; k++ {
		v := s.of(k)
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return s, fmt.Errorf("share of the %s queue is %v", k, v)
		}
		sum += v
	}
	if sum <= 0 {
		return s, errors.New("the shares sum to zero")
	}
	return Shares{TTL: s.TTL / sum, Normal: s.Normal / sum, Index: s.Index / sum, Disposable: s.Disposable / sum}, nil
}

// PeerReadFunc fetches bytes [off, off+len(p)) of an object from another compute node's cache.
// It is consulted before the vault on a miss; any error (including "that node does not have
// it") falls back to the vault. It must fill p completely when it returns nil.
type PeerReadFunc func(ctx context.Context, path string, off int64, p []byte) error

// Config configures a Cache.
type Config struct {
	// Path is the cache's directory (created if missing). Required.
	Path string
	// Capacity is the most bytes the cache keeps on disk (block files, trailers included).
	// Required, at least MinCapacity.
	Capacity int64
	// Shares split the capacity between the queues; zero means DefaultShares. They are
	// normalised to sum to 1.
	Shares Shares
	// WriteThrough caches the blocks of objects written through the cache's Put.
	WriteThrough bool
	// PeerRead, when set, is tried before the vault on every miss.
	PeerRead PeerReadFunc
	// Registerer receives the cache's Prometheus metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger logs dropped corrupt blocks and write failures; nil means slog.Default().
	Logger *slog.Logger
}

// Hint describes a read (or a write-through Put) to the cache. It travels in the context.
type Hint struct {
	// Kind is the queue of the blocks the read brings in.
	Kind Kind
	// Expiration is when TTL blocks fall back to the normal queue (Kind TTL only; a zero or
	// past expiration means Normal).
	Expiration time.Time
	// Size is the object's size when the caller knows it (from rowset metadata); it saves the
	// Stat the cache otherwise issues on the first read of an object. 0 means unknown.
	Size int64
}

type hintKey struct{}

// WithHint returns a context whose reads through a Cache carry h.
func WithHint(ctx context.Context, h Hint) context.Context {
	return context.WithValue(ctx, hintKey{}, h)
}

// WithKind returns a context whose reads bring blocks into queue k (keeping the rest of the
// context's hint).
func WithKind(ctx context.Context, k Kind) context.Context {
	h := HintFrom(ctx)
	h.Kind = k
	return WithHint(ctx, h)
}

// HintFrom returns the hint of ctx (the zero Hint when there is none).
func HintFrom(ctx context.Context) Hint {
	h, _ := ctx.Value(hintKey{}).(Hint)
	return h
}
