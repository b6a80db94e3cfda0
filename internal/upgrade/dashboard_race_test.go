package upgrade

import (
	"sync"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// TestDashboardRefreshesTakeTurns: two refreshes of one account's dashboard
// at once (two batched jobs that River runs side by side) make one
// dashboard issue, not one each. Seen in the hostile corpus, where a burst
// of created repositories scheduled refreshes a second apart.
func TestDashboardRefreshesTakeTurns(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	args := DashboardArgs{InstallationID: wd.inst, Owner: org}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = wd.w.RefreshDashboard(wd.ctx, args) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("RefreshDashboard: %v", err)
		}
	}
	wd.dashboard() // fails unless exactly one dashboard issue
}
