package upgrade

import (
	"errors"
	"fmt"
	"strings"

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
			Help: "Repository upgrade job runs by outcome (" + strings.Join(Outcomes, ", ") + ")."},
			[]string{"outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	// A second workflow on the same registry (tests, a restart in process)
	// shares the collectors already there.
	register := func(c prometheus.Collector) (prometheus.Collector, error) {
		err := reg.Register(c)
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			return are.ExistingCollector, nil
		}
		if err != nil {
			return nil, fmt.Errorf("registering the upgrade metrics: %w", err)
		}
		return c, nil
	}
	c, err := register(m.rollouts)
	if err != nil {
		return nil, err
	}
	m.rollouts = c.(prometheus.Counter)
	if c, err = register(m.queued); err != nil {
		return nil, err
	}
	m.queued = c.(prometheus.Counter)
	if c, err = register(m.jobs); err != nil {
		return nil, err
	}
	m.jobs = c.(*prometheus.CounterVec)
	return m, nil
}
