package upgrade

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// startRollout writes goldenpath.yaml, publishes svc 1.0.0, scaffolds
// repos on it, works the deliveries, and publishes 1.1.0 (its tag push is
// not delivered yet).
func (wd *world) startRollout(policy string, repos ...string) {
	wd.t.Helper()
	if _, err := wd.sim.Push(org, config.DefaultTemplatesRepo, "main", map[string][]byte{"goldenpath.yaml": []byte(policy)}, "policy", "maintainer"); err != nil {
		wd.t.Fatal(err)
	}
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	for _, r := range repos {
		wd.scaffold(r, "1.0.0", skeletonV1)
	}
	wd.run()
	wd.publish("1.1.0", edited(skeletonV1, map[string]string{"X": "x\n"}), "## 1.1.0\n")
}

// TestPRLimits: goldenpath.yaml's prConcurrentLimit and prHourlyLimit make
// jobs over the limit snooze (River retries them later) instead of failing,
// and updating an open pull request is never limited. The limits are the
// account's: another account's open and recent upgrade PRs (others) do not
// count. Counted in the fleet index, on both dialects.
func TestPRLimits(t *testing.T) {
	tests := []struct {
		name       string
		policy     string
		others     int // upgrade PRs of another account, open and opened just now
		wantOpened int
	}{
		{name: "concurrent", policy: "upgrades:\n  prConcurrentLimit: 1\n", wantOpened: 1},
		{name: "hourly", policy: "upgrades:\n  prHourlyLimit: 2\n", wantOpened: 2},
		{name: "none", policy: "", wantOpened: 3},
		{name: "concurrent, other account busy", policy: "upgrades:\n  prConcurrentLimit: 1\n", others: 3, wantOpened: 1},
		{name: "hourly, other account busy", policy: "upgrades:\n  prHourlyLimit: 2\n", others: 3, wantOpened: 2},
	}
	for _, d := range storetest.Dialects {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s", d, tc.name), func(t *testing.T) {
				wd := newWorldOn(t, d, githubsim.Limits{Disabled: true}, testPolicy())
				now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
				wd.w.cfg.Now = func() time.Time { return now }
				seedOtherAccount(t, wd.fleet, tc.others, now)
				wd.startRollout(tc.policy, "a", "b", "c")
				wd.run()
				if opened := wd.countOpen("a", "b", "c"); opened != tc.wantOpened || len(wd.snoozed) != 3-tc.wantOpened {
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
				if tc.policy == "upgrades:\n  prHourlyLimit: 2\n" {
					// An hour later the snoozed job goes through.
					now = now.Add(time.Hour + time.Minute)
					wd.q.EnqueueUpgrades(wd.ctx, wd.snoozed)
					wd.snoozed = nil
					wd.run()
					if opened := wd.countOpen("a", "b", "c"); opened != 3 {
						t.Errorf("after an hour %d pull requests are open, want 3", opened)
					}
				}
			})
		}
	}
}

// TestPRLimitsAcrossReplicas: two replicas share the database; the
// account's limits hold for both together, not for each.
func TestPRLimitsAcrossReplicas(t *testing.T) {
	tests := []struct {
		name       string
		policy     string
		wantOpened int
	}{
		{name: "hourly", policy: "upgrades:\n  prHourlyLimit: 2\n", wantOpened: 2},
		{name: "concurrent", policy: "upgrades:\n  prConcurrentLimit: 3\n", wantOpened: 3},
	}
	repos := []string{"a", "b", "c", "d", "e", "f"}
	for _, d := range storetest.Dialects {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s", d, tc.name), func(t *testing.T) {
				wd := newWorldOn(t, d, githubsim.Limits{Disabled: true}, testPolicy())
				now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
				wd.w.cfg.Now = func() time.Time { return now }
				wd.addReplica()
				wd.startRollout(tc.policy, repos...)
				wd.run()
				if opened := wd.countOpen(repos...); opened != tc.wantOpened || len(wd.snoozed) != len(repos)-tc.wantOpened {
					t.Fatalf("two replicas opened %d, snoozed %d; want %d opened and the rest snoozed", opened, len(wd.snoozed), tc.wantOpened)
				}
			})
		}
	}
}

// seedOtherAccount records n open upgrade PRs of account "other", opened at
// opened.
func seedOtherAccount(t *testing.T, x *fleet.Index, n int, opened time.Time) {
	t.Helper()
	for i := range n {
		pr := fleet.UpgradePR{Owner: "other", Name: fmt.Sprintf("r%d", i), Template: "svc", TargetVersion: "1.1.0",
			Number: i + 1, State: fleet.PROpen, OpenedAt: opened}
		if err := x.SetUpgradePR(context.Background(), pr); err != nil {
			t.Fatal(err)
		}
	}
}

func (wd *world) countOpen(repos ...string) int {
	n := 0
	for _, r := range repos {
		n += len(wd.openPRs(r))
	}
	return n
}

// deliver hands the simulator's new webhook deliveries to the workflow and
// returns the repository jobs they queued, without working them.
func (wd *world) deliver() []RepoArgs {
	wd.t.Helper()
	ds := wd.sim.Deliveries()
	for _, d := range ds[wd.seen:] {
		if err := wd.w.HandleEvent(wd.ctx, d.Event, d.ID, d.Installation, d.Payload); err != nil {
			wd.t.Fatalf("HandleEvent(%s.%s): %v", d.Event, d.Action, err)
		}
	}
	wd.seen = len(ds)
	ups, _ := wd.q.take()
	return ups
}

// TestPRLimitsRaceAcrossReplicas: replicas work the jobs of one rollout at
// the same time; whatever the interleaving, the account's limit holds for
// all of them together: exactly one pull request for the last slot.
func TestPRLimitsRaceAcrossReplicas(t *testing.T) {
	tests := []struct {
		name   string
		policy string
	}{
		{name: "concurrent", policy: "upgrades:\n  prConcurrentLimit: 1\n"},
		{name: "hourly", policy: "upgrades:\n  prHourlyLimit: 1\n"},
	}
	repos := []string{"a", "b", "c", "d"}
	for _, d := range storetest.Dialects {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s", d, tc.name), func(t *testing.T) {
				wd := newWorldOn(t, d, githubsim.Limits{Disabled: true}, testPolicy())
				for range len(repos) - 1 {
					wd.addReplica()
				}
				wd.startRollout(tc.policy, repos...)
				jobs := wd.deliver()
				if len(jobs) != len(repos) {
					t.Fatalf("%d jobs queued, want %d", len(jobs), len(repos))
				}
				start := make(chan struct{})
				errs := make([]error, len(jobs))
				var wg sync.WaitGroup
				for i, a := range jobs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						errs[i] = wd.replicas[i].UpgradeRepo(wd.ctx, a)
					}()
				}
				close(start)
				wg.Wait()
				snoozed := 0
				for i, err := range errs {
					var snooze *job.RetryError
					switch {
					case errors.As(err, &snooze):
						snoozed++
					case err != nil:
						t.Errorf("replica %d: %v", i, err)
					}
				}
				if opened := wd.countOpen(repos...); opened != 1 || snoozed != len(repos)-1 {
					t.Fatalf("replicas racing opened %d and snoozed %d; want 1 opened and %d snoozed", opened, snoozed, len(repos)-1)
				}
			})
		}
	}
}

// TestPRLimitsFailedCreate: a slot taken for a pull request GitHub refused
// is given back at once; one whose create call got no clear answer (the
// pull request may exist) counts until it expires, and not longer.
func TestPRLimitsFailedCreate(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		freedAft time.Duration // when b can open after a's failure
	}{
		{name: "refused", status: http.StatusUnprocessableEntity, freedAft: 0},
		{name: "no answer", status: http.StatusBadGateway, freedAft: 15 * time.Minute},
	}
	for _, d := range storetest.Dialects {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s", d, tc.name), func(t *testing.T) {
				wd := newWorldOn(t, d, githubsim.Limits{Disabled: true}, testPolicy())
				now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
				wd.w.cfg.Now = func() time.Time { return now }
				wd.startRollout("upgrades:\n  prConcurrentLimit: 1\n", "a", "b")
				jobs := map[string]RepoArgs{}
				for _, a := range wd.deliver() {
					jobs[a.Repo] = a
				}
				wd.sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/repos/{owner}/{repo}/pulls", Rate: 1, Kind: githubsim.Error5xx, Status: tc.status}})
				var snooze *job.RetryError
				if err := wd.w.UpgradeRepo(wd.ctx, jobs["a"]); err == nil || errors.As(err, &snooze) {
					t.Fatalf("a's job with GitHub answering %d = %v; want an error", tc.status, err)
				}
				wd.sim.SetFaults(nil)
				if tc.freedAft > 0 {
					now = now.Add(tc.freedAft - time.Second)
					if err := wd.w.UpgradeRepo(wd.ctx, jobs["b"]); !errors.As(err, &snooze) {
						t.Fatalf("b's job before a's slot expires = %v; want a snooze", err)
					}
					now = now.Add(time.Second)
				}
				if err := wd.w.UpgradeRepo(wd.ctx, jobs["b"]); err != nil {
					t.Fatalf("b's job once a's slot is free = %v", err)
				}
				if n := len(wd.openPRs("b")); n != 1 {
					t.Fatalf("b has %d open pull requests, want 1", n)
				}
				// a's retry waits for b's pull request now.
				if err := wd.w.UpgradeRepo(wd.ctx, jobs["a"]); !errors.As(err, &snooze) {
					t.Fatalf("a's retry = %v; want a snooze", err)
				}
			})
		}
	}
}
