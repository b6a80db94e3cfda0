package github

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus collectors of the GitHub door. Create them once per
// process with NewMetrics and pass them in AppConfig.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	waits    *prometheus.CounterVec
	// rateRemaining and rateLimit are the last X-RateLimit-Remaining and
	// X-RateLimit-Limit GitHub sent, per installation ("app" for the App's
	// own JWT calls) and resource (core, graphql, …).
	rateRemaining *prometheus.GaugeVec
	rateLimit     *prometheus.GaugeVec
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
		rateRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "goldenpath_github_rate_limit_remaining",
			Help: "Requests left in GitHub's primary rate-limit window, as GitHub last reported, by installation and resource.",
		}, []string{"installation", "resource"}),
		rateLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "goldenpath_github_rate_limit_max",
			Help: "Size of GitHub's primary rate-limit window (requests per hour), as GitHub last reported, by installation and resource.",
		}, []string{"installation", "resource"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.retries, m.waits, m.rateRemaining, m.rateLimit)
	}
	return m
}

// observeRateLimit records the primary rate limit a response reports.
func (m *Metrics) observeRateLimit(installation int64, h http.Header) {
	remaining, err1 := strconv.ParseFloat(h.Get("X-RateLimit-Remaining"), 64)
	limit, err2 := strconv.ParseFloat(h.Get("X-RateLimit-Limit"), 64)
	if err1 != nil || err2 != nil {
		return
	}
	inst := "app"
	if installation != 0 {
		inst = strconv.FormatInt(installation, 10)
	}
	resource := h.Get("X-RateLimit-Resource")
	if resource == "" {
		resource = "core"
	}
	m.rateRemaining.WithLabelValues(inst, resource).Set(remaining)
	m.rateLimit.WithLabelValues(inst, resource).Set(limit)
}
