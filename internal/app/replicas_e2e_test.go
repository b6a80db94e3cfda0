package app_test

import (
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

// TestDashboardAcrossReplicas: two goldenpath processes share one
// PostgreSQL database and one GitHub; refreshes of the one account's fleet
// dashboard on both at once (each finding no dashboard issue yet) make
// exactly one dashboard issue. The key locks are taken in the database,
// not only in each process.
func TestDashboardAcrossReplicas(t *testing.T) {
	// No dashboard before the race: refreshes are batched far away and no
	// reconcile runs.
	w := newWorld(t, store.Postgres, nil, func(o *sandbox.Options) { o.DashboardEvery = time.Hour; o.ReconcileEvery = -1 })
	if n := dashboards(w); n != 0 {
		t.Fatalf("%d dashboard issues before the race, want 0", n)
	}
	// Creating an issue takes a while: long enough for the other replica
	// to look for the dashboard meanwhile, and find none.
	w.Sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/repos/{owner}/{repo}/issues", Rate: 1, Kind: githubsim.Slow, Delay: 500 * time.Millisecond}})
	replicas := []*upgrade.Workflow{w.App.Upgrades, w.replica(w.App.Config.DatabaseURL).Upgrades}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			<-start
			errs[i] = replicas[i%len(replicas)].RefreshDashboard(w.ctx, dashboardArgs(w))
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("refresh %d on replica %d: %v", i, i%len(replicas), err)
		}
	}
	if n := dashboards(w); n != 1 {
		t.Fatalf("%d dashboard issues after two replicas refreshed at once, want 1", n)
	}
}

// dashboards counts the account's fleet dashboard issues.
func dashboards(w *world) int {
	n := 0
	for _, is := range w.Sim.Issues(org, w.TemplatesRepo) {
		if is.Title == upgrade.DashboardTitle && !is.IsPR {
			n++
		}
	}
	return n
}
