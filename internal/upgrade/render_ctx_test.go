package upgrade

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// TestUpgradeRenderStopsWithTheJob: a job whose context ends while it
// renders a template that loops stops at once (not after RENDER_TIMEOUT),
// and nothing is recorded against the template: the retry renders again.
func TestUpgradeRenderStopsWithTheJob(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.w.cfg.RenderTimeout = time.Hour // only the job's context stops it
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	wd.scaffold("a", "1.0.0", skeletonV1)
	wd.run()
	wd.publish("1.1.0", edited(skeletonV1, map[string]string{"loop.txt": "{{ range 1000000000000 }}{{ end }}"}), "## 1.1.0\n")
	jobs := wd.deliver()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs))
	}
	// The simulator answers in milliseconds: by the deadline the job is
	// rendering.
	ctx, cancel := context.WithTimeout(wd.ctx, 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := wd.w.UpgradeRepo(ctx, jobs[0])
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the job stopped %s after it started, want soon after its context ended (500ms)", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, template.ErrRenderTimeout) || job.GaveUp(err) {
		t.Fatalf("UpgradeRepo with an ended context = %v, want the context's error, to retry", err)
	}
	if pr, err := wd.fleet.UpgradePR(wd.ctx, org, "a", "svc"); !errors.Is(err, fleet.ErrNotFound) {
		t.Errorf("recorded %+v (%v) for a job that was only cancelled, want nothing", pr, err)
	}
}
