package queue

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
)

// Job outcomes counted in goldenpath_jobs_total: the fixed set documented
// in package job.
const (
	OutcomeCompleted = job.Completed
	OutcomeRetried   = job.Retried
	OutcomeDiscarded = job.Discarded
	// OutcomeSnoozed: the handler asked to run again later (job.Retry), e.g.
	// while another attempt may still be at work; it costs no attempt.
	OutcomeSnoozed = job.Snoozed
	// OutcomeGivenUp: the handler gave up (job.GiveUp) with a reason the
	// user already sees; the job ends without a retry.
	OutcomeGivenUp = job.GivenUp
)

type metrics struct {
	outcomes *prometheus.CounterVec
	wait     *prometheus.HistogramVec
	duration *prometheus.HistogramVec
	enqueued *prometheus.CounterVec
	batch    prometheus.Histogram
	commit   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, q *Queue) (*metrics, error) {
	m := &metrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "goldenpath_jobs_total",
			Help: "Job attempts by kind and outcome (completed, snoozed, given_up, retried, discarded).",
		}, []string{"kind", "outcome"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "goldenpath_job_wait_seconds",
			Help:    "Age of a job when a worker picks it up: time since it was due.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "goldenpath_job_duration_seconds",
			Help:    "Time one job attempt took.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 9),
		}, []string{"kind"}),
		enqueued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "goldenpath_webhook_enqueued_total",
			Help: "Deliveries handed to the queue, by result (inserted, duplicate, error).",
		}, []string{"result"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "goldenpath_webhook_insert_batch_size",
			Help:    "Deliveries written per group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "goldenpath_webhook_commit_seconds",
			Help:    "Time one group-commit transaction took, from waiting for the connection to the durable commit: every delivery in it waited that long for its answer.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14),
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.outcomes, m.wait, m.duration, m.enqueued, m.batch, m.commit, &depthCollector{q: q}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

var (
	depthDesc = prometheus.NewDesc("goldenpath_queue_jobs",
		"Jobs in the queue by state (available, scheduled, retryable, running, …).", []string{"state"}, nil)
	oldestDesc = prometheus.NewDesc("goldenpath_queue_oldest_available_seconds",
		"Age of the oldest job that is due and not yet picked up (0 when none).", nil, nil)
)

// depthCollector reads queue depth from the database at scrape time, so every
// replica reports the shared queue rather than its own view.
type depthCollector struct{ q *Queue }

func (c *depthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- depthDesc
	ch <- oldestDesc
}

func (c *depthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := c.q.db.SQL.QueryContext(ctx, "SELECT state, COUNT(*) FROM river_job GROUP BY state")
	if err != nil {
		c.q.log.Warn("reading queue depth for metrics", slog.Any("error", err))
		return
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			c.q.log.Warn("reading queue depth for metrics", slog.Any("error", err))
			return
		}
		seen[state] = true
		ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(n), state)
	}
	for _, s := range []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled} {
		if !seen[string(s)] {
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, 0, string(s))
		}
	}
	res, err := c.q.client.JobList(ctx, river.NewJobListParams().
		States(rivertype.JobStateAvailable).OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc).First(1))
	if err != nil {
		c.q.log.Warn("reading the oldest available job for metrics", slog.Any("error", err))
		return
	}
	age := 0.0
	if len(res.Jobs) > 0 {
		age = max(0, time.Since(res.Jobs[0].ScheduledAt).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}
