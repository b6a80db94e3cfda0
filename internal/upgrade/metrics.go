package upgrade

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics show a rollout's progress: jobs queued, and how each ended.
type metrics struct {
	rollouts prometheus.Counter
	queued   prometheus.Counter
	jobs     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		rollouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "goldenpath_upgrade_rollouts_total",
			Help: "Template versions whose rollout started."}),
		queued: prometheus.NewCounter(prometheus.CounterOpts{Name: "goldenpath_upgrade_jobs_queued_total",
			Help: "Repository upgrade jobs queued by rollouts."}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "goldenpath_upgrade_jobs_total",
			Help: "Repository upgrade job runs by outcome (opened, updated, unchanged, up_to_date, blocked, skipped, snoozed, error)."},
			[]string{"outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.rollouts, m.queued, m.jobs} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				continue
			}
			return nil, fmt.Errorf("registering the upgrade metrics: %w", err)
		}
	}
	return m, nil
}
