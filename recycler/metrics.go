package recycler

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the recycler's Prometheus metrics, on the registry of Config.Registry.
type metrics struct {
	toRecycle      *prometheus.GaugeVec   // instance, kind: entries due in the last round
	toRecycleBytes *prometheus.GaugeVec   // instance, kind
	pending        *prometheus.GaugeVec   // instance, kind: entries not due yet in the last round
	recycled       *prometheus.CounterVec // instance, kind
	recycledBytes  *prometheus.CounterVec // instance, kind
	failed         *prometheus.CounterVec // instance, kind
	rounds         *prometheus.CounterVec // instance, result
	lastSuccess    *prometheus.GaugeVec   // instance
	lastDuration   *prometheus.GaugeVec   // instance
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	ik := []string{"instance", "kind"}
	m := &metrics{
		toRecycle: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "doric_recycler_to_recycle",
			Help: "Recycle entries found due in the last round, by kind."}, ik),
		toRecycleBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "doric_recycler_to_recycle_bytes",
			Help: "Bytes of files of the recycle entries found due in the last round, by kind."}, ik),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "doric_recycler_pending",
			Help: "Recycle entries not due yet in the last round, by kind."}, ik),
		recycled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doric_recycler_recycled_total",
			Help: "Recycle entries reclaimed, by kind."}, ik),
		recycledBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doric_recycler_recycled_bytes_total",
			Help: "Bytes of files deleted, by kind."}, ik),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doric_recycler_failures_total",
			Help: "Due recycle entries left for a later round because a step failed, by kind."}, ik),
		rounds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doric_recycler_rounds_total",
			Help: "Recycle rounds, by result: ok, error, busy (another recycler held the lease)."}, []string{"instance", "result"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "doric_recycler_last_success_timestamp_seconds",
			Help: "When the last round that reclaimed everything it found due ended (Unix seconds)."}, []string{"instance"}),
		lastDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "doric_recycler_last_round_duration_seconds",
			Help: "How long the last round took."}, []string{"instance"}),
	}
	for _, c := range []prometheus.Collector{m.toRecycle, m.toRecycleBytes, m.pending, m.recycled, m.recycledBytes,
		m.failed, m.rounds, m.lastSuccess, m.lastDuration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records a finished round (not a busy one).
func (m *metrics) observe(rep *Report, ok bool) {
	inst := rep.Instance
	for k, kr := range rep.Kinds {
		kind := Kind(k).String()
		m.toRecycle.WithLabelValues(inst, kind).Set(float64(kr.ToRecycle))
		m.toRecycleBytes.WithLabelValues(inst, kind).Set(float64(kr.ToRecycleBytes))
		m.pending.WithLabelValues(inst, kind).Set(float64(kr.Pending))
		m.recycled.WithLabelValues(inst, kind).Add(float64(kr.Recycled))
		m.recycledBytes.WithLabelValues(inst, kind).Add(float64(kr.RecycledBytes))
		m.failed.WithLabelValues(inst, kind).Add(float64(kr.Failed))
	}
	m.lastDuration.WithLabelValues(inst).Set(rep.End.Sub(rep.Start).Seconds())
	if ok {
		m.rounds.WithLabelValues(inst, "ok").Inc()
		m.lastSuccess.WithLabelValues(inst).Set(float64(rep.End.UnixNano()) / 1e9)
	} else {
		m.rounds.WithLabelValues(inst, "error").Inc()
	}
}
