package session

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts statements by kind and outcome and times them.
type Metrics struct {
	statements *prometheus.CounterVec
	seconds    *prometheus.HistogramVec
}

// NewMetrics registers the session metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doric_fe_statements_total",
			Help: "Statements executed, by kind (select, insert, ddl, other) and outcome (ok, error)."}, []string{"kind", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "doric_fe_statement_seconds",
			Help: "Statement latency by kind.", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}, []string{"kind"}),
	}
	reg.MustRegister(m.statements, m.seconds)
	return m
}

func (m *Metrics) observe(kind string, start time.Time, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.statements.WithLabelValues(kind, outcome).Inc()
	m.seconds.WithLabelValues(kind).Observe(time.Since(start).Seconds())
}
