package fleet

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	reposDesc = prometheus.NewDesc("goldenpath_fleet_repositories",
		"Repositories in the fleet index by template and the version they are on: a rollout's progress.",
		[]string{"template", "version"}, nil)
	prsDesc = prometheus.NewDesc("goldenpath_upgrade_pull_requests",
		"goldenpath's pull requests (upgrade, adoption, new answers) by template, target version and state (open, merged, closed, blocked).",
		[]string{"template", "version", "state"}, nil)
)

// Collector reports the fleet index at scrape time, read from the shared
// database so that every replica reports the same fleet.
type Collector struct {
	x   *Index
	log *slog.Logger
}

// NewCollector returns the index's Prometheus collector.
func NewCollector(x *Index, log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Collector{x: x, log: log}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- reposDesc
	ch <- prsDesc
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.count(ctx, ch, reposDesc, `SELECT template, version, COUNT(*) FROM goldenpath_fleet_repo GROUP BY template, version`, 2)
	c.count(ctx, ch, prsDesc, `SELECT template, target_version, state, COUNT(*) FROM goldenpath_upgrade_pr GROUP BY template, target_version, state`, 3)
}

// count emits one gauge per row of query, whose first labels columns are
// the labels and whose last column is the count.
func (c *Collector) count(ctx context.Context, ch chan<- prometheus.Metric, desc *prometheus.Desc, query string, labels int) {
	rows, err := c.x.db.SQL.QueryContext(ctx, query)
	if err != nil {
		c.log.Warn("reading the fleet index for metrics", slog.Any("error", err))
		return
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]string, labels)
		var n int64
		dest := make([]any, 0, labels+1)
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(append(dest, &n)...); err != nil {
			c.log.Warn("reading the fleet index for metrics", slog.Any("error", err))
			return
		}
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n), vals...)
	}
	if err := rows.Err(); err != nil {
		c.log.Warn("reading the fleet index for metrics", slog.Any("error", err))
	}
}
