package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
)

// fullSize is set by the documented full-size command (docs/RELIABILITY.md):
// CI runs the reliability tests at a reduced size.
func fullSize() bool { return os.Getenv("GOLDENPATH_RELIABILITY_FULL") == "1" }

func sized(ci, full int) int {
	if fullSize() {
		return full
	}
	return ci
}

// unlimited: the crash tests leave rate limits to TestGitHubFaults (a killed
// process forgets its pacing history, so a restart may write sooner than
// GitHub's window allows: GitHub answers 403 with retry-after, which the
// bot honours, but the test would then wait on it).
var (
	unlimited  = githubsim.Limits{Disabled: true}
	fastPacing = github.Pacing{MinGap: 20 * time.Millisecond, Windows: []github.WindowLimit{{N: 1 << 20, Per: time.Minute}}}
)

// recoveryBound is how soon after the last restart the work must be done:
// SQLite's new process rescues at start; on PostgreSQL a killed replica's
// jobs wait for its lease (queue.DefaultLease, 30 s) and the next sweep.
const recoveryBound = 2 * time.Minute

// TestCrashRecovery kills `goldenpath serve` with SIGKILL at random points
// (the nth GitHub write from the last restart, n seeded) of ten new-service
// requests and then of the rollout of go-service v1.1.0 to the ten new
// repositories, restarting it each time on the same database: every request
// ends with one repository, one comment, closed; every repository with one
// upgrade pull request; no create sent twice.
func TestCrashRecovery(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			requests, kills := sized(10, 20), sized(6, 12)
			w := newFleetWorld(t, fleetOptions{dbURL: storetest.URL(t, d), limits: unlimited, pacing: fastPacing})
			r := w.addReplica()
			w.install()

			start := time.Now()
			reqs := w.fileRequests("svc", requests)
			last := w.killAndRestart(r, kills/2, func() bool { return w.requestsDone(reqs) })
			w.waitUntil(recoveryBound-time.Since(last), "every request created", func() bool { return w.requestsDone(reqs) })
			reqFiled, reqRestart := time.Since(start).Round(time.Millisecond), time.Since(last).Round(time.Millisecond)
			t.Logf("requests done %s after filing, %s after the last restart", reqFiled, reqRestart)

			start = time.Now()
			w.publishUpgrade()
			last = w.killAndRestart(r, kills-w.kills(), func() bool { return w.upgradesDone(reqs) })
			w.waitUntil(recoveryBound-time.Since(last), "every upgrade pull request opened", func() bool { return w.upgradesDone(reqs) })
			relDone, relRestart := time.Since(start).Round(time.Millisecond), time.Since(last).Round(time.Millisecond)
			t.Logf("rollout done %s after the release, %s after the last restart", relDone, relRestart)
			w.stats.Recovery = fmt.Sprintf("%d requests done %s after filing, %s after the last restart; rollout to %d repositories done %s after the release, %s after the last restart (bound %s)",
				requests, reqFiled, reqRestart, requests, relDone, relRestart, recoveryBound)

			if w.kills() < 5 {
				t.Errorf("%d kills, want at least 5 (the run ended before the kill points)", w.kills())
			}
			o := w.wantExactlyOnce(reqs, true)
			wantCreates(t, o, len(reqs))
			report(t, "crash recovery ("+string(d)+")", w, o)
		})
	}
}

// wantCreates: without injected faults, exactly one create of each object
// took effect (GitHub answered it 2xx), whatever was retried.
func wantCreates(t *testing.T, o outcome, n int) {
	t.Helper()
	for _, kind := range []string{"repository", "pull request", "comment"} {
		if got := o.Creates[kind+" 2xx"]; got != n {
			t.Errorf("%d %s creates took effect, want %d (one per request); creates: %v", got, kind, n, o.Creates)
		}
	}
}

// killAndRestart arms up to kills kills, one at a time, each at a random
// write (1 to 8 writes after the last restart), restarting the process after
// each, until done holds. It returns when the last restart was ready.
func (w *fleetWorld) killAndRestart(r *replica, kills int, done func() bool) time.Time {
	w.t.Helper()
	last := time.Now()
	for range kills {
		if done() {
			break
		}
		w.armKill(1 + w.rng.IntN(8))
		fired := false
		deadline := time.Now().Add(recoveryBound)
		for !fired && !done() {
			select {
			case <-w.killed:
				fired = true
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				w.dumpQueueState()
				w.t.Fatalf("no progress within %s", recoveryBound)
			}
		}
		w.armKill(0)
		if fired {
			last = w.restartKilled(r)
		}
	}
	return last
}

// TestIssue13Scenario is what issue 13 saw, on the default SQLite
// database: ten new-service requests filed at once, the process killed with
// SIGKILL while working them, restarted, killed again a second later and
// restarted: ten repositories and ten closed issues within two minutes of
// the last restart (it took nine minutes without the rescue: River left
// the killed process's jobs running for an hour).
func TestIssue13Scenario(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t, fleetOptions{dbURL: "sqlite://" + t.TempDir() + "/goldenpath.db", limits: unlimited, pacing: fastPacing})
	r := w.addReplica()
	w.install()
	reqs := w.fileRequests("svc", 10)

	// First kill: at the work's first few writes.
	w.armKill(1 + w.rng.IntN(4))
	var first time.Time
	select {
	case <-w.killed:
		first = time.Now()
	case <-time.After(recoveryBound):
		t.Fatal("the requests were not being worked")
	}
	w.restartKilled(r)
	// Second kill: a second after the first (the scenario's schedule, not
	// a wait for a result).
	<-time.After(time.Until(first.Add(time.Second)))
	w.killSender()
	second := time.Now()
	<-w.killed
	w.restartKilled(r)

	took := w.waitUntil(recoveryBound, "ten repositories and ten closed requests", func() bool { return w.requestsDone(reqs) })
	t.Logf("ten requests done %s after the last restart (bound %s)", took.Round(time.Millisecond), recoveryBound)
	o := w.wantExactlyOnce(reqs, false)
	for _, kind := range []string{"repository", "comment"} {
		if got := o.Creates[kind+" 2xx"]; got != len(reqs) {
			t.Errorf("%d %s creates took effect, want %d; creates: %v", got, kind, len(reqs), o.Creates)
		}
	}
	w.stats.Recovery = fmt.Sprintf("two SIGKILLs %s apart; ten requests done %s after the last restart (bound %s)",
		second.Sub(first).Round(100*time.Millisecond), took.Round(time.Millisecond), recoveryBound)
	report(t, "issue 13 scenario (sqlite)", w, o)
}

// TestReplicaKilled runs two replicas on one PostgreSQL database, both
// handed every delivery; one is SIGKILLed in the middle of ten requests and
// the rollout to their repositories. The survivor finishes everything
// within the bound, exactly once.
func TestReplicaKilled(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t, fleetOptions{dbURL: storetest.URL(t, store.Postgres), limits: unlimited, pacing: fastPacing})
	w.addReplica()
	w.addReplica()
	w.install()
	reqs := w.fileRequests("svc", sized(10, 20))
	killWrite := 1 + w.rng.IntN(12)
	w.armKill(killWrite)
	select {
	case <-w.killed:
	case <-time.After(recoveryBound):
		t.Fatal("no replica was killed: the requests were not being worked")
	}
	killedAt := time.Now()
	took := w.waitUntil(recoveryBound, "every request created by the survivor", func() bool { return w.requestsDone(reqs) })
	t.Logf("survivor finished the requests %s after the kill", took.Round(time.Millisecond))
	w.publishUpgrade()
	w.waitUntil(recoveryBound, "every upgrade pull request opened by the survivor", func() bool { return w.upgradesDone(reqs) })
	t.Logf("survivor finished the rollout %s after the kill", time.Since(killedAt).Round(time.Millisecond))
	w.stats.Recovery = fmt.Sprintf("one of two replicas SIGKILLed at GitHub write %d; the survivor finished %d requests %s after the kill and the rollout %s after it (bound %s each)",
		killWrite, len(reqs), took.Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond), recoveryBound)
	o := w.wantExactlyOnce(reqs, true)
	wantCreates(t, o, len(reqs))
	report(t, "two replicas, one killed (postgres)", w, o)
}
