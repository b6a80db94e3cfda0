package upgrade

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestMetricsShareARegistry: two workflows on one registry count into the
// same collectors.
func TestMetricsShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	a.jobs.WithLabelValues("opened").Inc()
	b.jobs.WithLabelValues("opened").Inc()
	var m dto.Metric
	if err := a.jobs.WithLabelValues("opened").Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 2 {
		t.Errorf("goldenpath_upgrade_jobs_total{outcome=opened} = %v, want 2", got)
	}
}
