package app_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// fastRetry spaces attempts 50 ms apart so a test reaches a discard quickly.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(50 * time.Millisecond) }

func TestJobThatKeepsFailingIsExplained(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil, func(o *sandbox.Options) {
			o.Queue.MaxAttempts = 2
			o.Queue.RetryPolicy = fastRetry{}
			o.Policy.MaxRetries = 1
			o.Policy.BaseBackoff = 10 * time.Millisecond
			o.Policy.MaxBackoff = 20 * time.Millisecond
		})
		w.Sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/orgs/{org}/repos", Rate: 1, Kind: githubsim.Error5xx, Status: 500}})
		n := w.request(developer, goAnswers("payments-api"))
		w.wantOneComment(n, "/retry")
		w.wantNoRepo("payments-api")
		if got := metricValue(t, w, "goldenpath_jobs_total", map[string]string{"kind": "github_webhook", "outcome": "discarded"}); got < 1 {
			t.Errorf("goldenpath_jobs_total{outcome=discarded} = %v, want ≥ 1", got)
		}

		// GitHub recovers; /retry runs the request again and the comment
		// becomes the answer.
		w.Sim.SetFaults(nil)
		if _, err := w.Sim.Comment(org, w.TemplatesRepo, n, developer, "/retry"); err != nil {
			t.Fatal(err)
		}
		w.settle()
		w.wantCreated(n, "payments-api")
	})
}

func metricValue(t *testing.T, w *world, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := w.App.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
