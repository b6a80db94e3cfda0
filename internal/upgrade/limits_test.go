package upgrade

import (
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// TestPRLimits: goldenpath.yaml's prConcurrentLimit and prHourlyLimit make
// jobs over the limit snooze (River retries them later) instead of failing,
// and updating an open pull request is never limited.
func TestPRLimits(t *testing.T) {
	tests := []struct {
		name       string
		policy     string
		wantOpened int
	}{
		{name: "concurrent", policy: "upgrades:\n  prConcurrentLimit: 1\n", wantOpened: 1},
		{name: "hourly", policy: "upgrades:\n  prHourlyLimit: 2\n", wantOpened: 2},
		{name: "none", policy: "", wantOpened: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
			now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
			wd.w.cfg.Now = func() time.Time { return now }
			if _, err := wd.sim.Push(org, DefaultTemplatesRepo, "main", map[string][]byte{"goldenpath.yaml": []byte(tc.policy)}, "policy", "maintainer"); err != nil {
				t.Fatal(err)
			}
			wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
			for _, r := range []string{"a", "b", "c"} {
				wd.scaffold(r, "1.0.0", skeletonV1)
			}
			wd.run()
			wd.publish("1.1.0", edited(skeletonV1, map[string]string{"X": "x\n"}), "## 1.1.0\n")
			wd.run()
			opened := 0
			for _, r := range []string{"a", "b", "c"} {
				opened += len(wd.openPRs(r))
			}
			if opened != tc.wantOpened || len(wd.snoozed) != 3-tc.wantOpened {
				t.Fatalf("opened %d, snoozed %d; want %d opened and the rest snoozed", opened, len(wd.snoozed), tc.wantOpened)
			}
			// A newer version updates the open pull requests even at the limit.
			wd.snoozed = nil
			wd.publish("1.2.0", edited(skeletonV1, map[string]string{"X": "y\n"}), "## 1.2.0\n")
			wd.run()
			updated := 0
			for _, r := range []string{"a", "b", "c"} {
				for _, pr := range wd.openPRs(r) {
					if pr.Title == "Upgrade svc template to v1.2.0" {
						updated++
					}
				}
			}
			if updated != tc.wantOpened {
				t.Errorf("%d pull requests updated to v1.2.0, want %d", updated, tc.wantOpened)
			}
			if tc.name == "hourly" {
				// An hour later the snoozed job goes through.
				now = now.Add(time.Hour + time.Minute)
				wd.q.EnqueueUpgrades(wd.ctx, wd.snoozed)
				wd.snoozed = nil
				wd.run()
				opened = 0
				for _, r := range []string{"a", "b", "c"} {
					opened += len(wd.openPRs(r))
				}
				if opened != 3 {
					t.Errorf("after an hour %d pull requests are open, want 3", opened)
				}
			}
		})
	}
}
