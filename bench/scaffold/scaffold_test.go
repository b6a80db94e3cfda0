// Package scaffold benchmarks one "new service" request end to end on the
// GitHub simulator: issue opened → repository created → issue closed, with
// the production pacing (GitHub's secondary limits, 1 s between writes once
// the burst is spent) and no injected latency.
//
//	go test -run '^$' -bench Scaffold -benchtime 5x ./bench/scaffold
package scaffold

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

const (
	org       = "acme"
	developer = "dev"
	team      = "team-payments"
)

// BenchmarkScaffold reports, besides ns/op, the median, fastest and slowest
// scaffold (ms) and the GitHub requests one scaffold made (token requests
// aside). Each iteration is a new installation's first request, filed once
// the installation's own writes (its request labels) are done: the pacer is
// per installation, and a quiet one has its burst allowance.
func BenchmarkScaffold(b *testing.B) {
	var took []float64
	requests := 0
	for b.Loop() {
		b.StopTimer()
		w, file := setUp(b)
		before := w.Sim.Counts()
		b.StartTimer()
		start := time.Now()
		n := file()
		if err := waitClosed(b.Context(), w, n, 2*time.Minute); err != nil {
			b.Fatal(err)
		}
		took = append(took, float64(time.Since(start).Microseconds())/1000)
		b.StopTimer()
		after := w.Sim.Counts()
		const tokens = "POST /app/installations/{installation_id}/access_tokens"
		requests += (after.Total - after.ByRoute[tokens]) - (before.Total - before.ByRoute[tokens])
		if v := w.Sim.Violations(); len(v) != 0 {
			b.Errorf("%d secondary rate-limit violations, first %+v", len(v), v[0])
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	slices.Sort(took)
	b.ReportMetric(took[len(took)/2], "median-ms")
	b.ReportMetric(took[0], "min-ms")
	b.ReportMetric(took[len(took)-1], "max-ms")
	b.ReportMetric(float64(requests)/float64(len(took)), "requests/scaffold")
}

// setUp starts the simulator and goldenpath with production pacing, publishes
// the built-in templates, installs the App and waits until that is worked;
// file files a go-service request and returns its issue number.
func setUp(b *testing.B) (w *sandbox.World, file func() int) {
	ctx := b.Context()
	w, err := sandbox.Start(ctx, sandbox.Options{
		DatabaseURL: storetest.URL(b, store.SQLite),
		Logger:      slog.New(slog.DiscardHandler),
		Org:         org,
		// Production pacing: the zero Policy is GitHub's limits, but the
		// sandbox would shrink a zero gap for its demo.
		Policy:         github.Policy{Pacing: github.Pacing{MinGap: time.Second}},
		DashboardEvery: time.Hour,
		ReconcileEvery: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	w.Sim.AddOrg(org, developer)
	w.Sim.AddTeam(org, team, developer)
	tmpl := sandbox.BuiltinTemplates()
	if _, err := w.PublishTemplates(tmpl, nil, "1.0.0"); err != nil {
		b.Fatal(err)
	}
	w.Install()
	if err := w.Settle(ctx, 2*time.Minute); err != nil {
		b.Fatal(err)
	}
	set, err := template.LoadRepo(tmpl)
	if err != nil {
		b.Fatal(err)
	}
	return w, func() int {
		answers := map[string]any(set["go-service"].Manifest.ExampleAnswers())
		answers["name"], answers["owner"] = "payments-api", team
		n, err := w.FileRequest(tmpl, "go-service", developer, answers)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
}

// waitClosed polls the simulator every 2 ms (a measurement needs a fine
// grain; sandbox.WaitFor polls every 25 ms) until issue n is closed.
func waitClosed(ctx context.Context, w *sandbox.World, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if is, err := w.Sim.Issue(org, w.TemplatesRepo, n); err == nil && is.State == "closed" {
			if is.StateReason != "completed" {
				return fmt.Errorf("issue #%d closed as %s", n, is.StateReason)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("issue #%d not closed within %s", n, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
