package github

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus collectors of the GitHub door. Create them once per
// process with NewMetrics and pass them in AppConfig.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	waits    *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them on reg (nil: unregistered,
// as tests want).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "goldenpath_github_requests_total",
			Help: "HTTP requests sent to GitHub, by method, route template and status (\"error\" when no answer came).",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "goldenpath_github_request_duration_seconds",
			Help:    "Time to the response headers of one HTTP request to GitHub.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}, []string{"method", "route"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "goldenpath_github_retries_total",
			Help: "Requests to GitHub sent again, by reason.",
		}, []string{"reason"}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "goldenpath_github_wait_seconds_total",
			Help: "Time spent waiting before requests to GitHub, by reason (write pacing, rate limits, backoff).",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.retries, m.waits)
	}
	return m
}
