package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

// Scaled secondary limits: 16 content-creating requests a "minute" of 1 s
// and 400 an "hour" of 40 s (GitHub: 80 a minute, 500 an hour), with the
// bot's pacing set to the same limits, as a deployment sets it to GitHub's.
var (
	lowLimits = githubsim.Limits{ContentPerMinute: 16, MinuteWindow: time.Second, ContentPerHour: 400, HourWindow: 40 * time.Second}
	lowPacing = github.Pacing{MinGap: 20 * time.Millisecond, Windows: []github.WindowLimit{{N: 16, Per: time.Second}, {N: 400, Per: 40 * time.Second}}}
)

// githubFaults answer about 20 % of GitHub calls badly: 5xx without doing
// anything, a stall of 1.5 s, or the write carried out and then 502.
var githubFaults = []githubsim.Fault{
	{Rate: 0.08, Kind: githubsim.Error5xx, Status: http.StatusBadGateway},
	{Rate: 0.04, Kind: githubsim.Error5xx, Status: http.StatusServiceUnavailable},
	{Rate: 0.04, Kind: githubsim.Slow, Delay: 1500 * time.Millisecond},
	{Rate: 0.05, Kind: githubsim.AfterWrite502},
}

// TestGitHubFaults runs new-service requests and then the rollout of an
// upgrade to their repositories while GitHub misbehaves: about 20 % of
// calls fail with 5xx, stall, or carry out a write and answer 502; the
// secondary rate limits are low; installation tokens last 70 s (so they
// are renewed every 10 s, mid-job) and every token is ended early every
// 5 s. Same exactly-once outcome, and not one rate-limit violation. River's
// retry backoff is divided by 10 here, like the rate-limit windows: a job
// whose attempts keep meeting faults must not wait minutes to show it.
func TestGitHubFaults(t *testing.T) {
	t.Parallel()
	n := sized(10, 30)
	w := newFleetWorld(t, fleetOptions{dbURL: "sqlite://" + t.TempDir() + "/goldenpath.db", limits: lowLimits, pacing: lowPacing, simTTL: 70 * time.Second, retryDivisor: 10})
	w.addReplica()
	w.install()
	w.sim.SetFaults(githubFaults)
	stop := make(chan struct{})
	ended := make(chan int)
	go func() { // the token schedule, independent of the bot's progress
		total := 0
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				ended <- total
				return
			case <-tick.C:
				total += w.sim.ExpireTokens()
			}
		}
	}()

	start := time.Now()
	reqs := w.fileRequests("svc", n)
	w.waitUntil(5*time.Minute, "every request created", func() bool { return w.requestsDone(reqs) })
	t.Logf("%d requests done in %s", n, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	w.publishUpgrade()
	w.waitUntil(5*time.Minute, "every upgrade pull request opened", func() bool { return w.upgradesDone(reqs) })
	t.Logf("rollout to %d repositories done in %s", n, time.Since(start).Round(time.Millisecond))
	close(stop)
	tokensEnded := <-ended
	fired := w.sim.FaultsFired()
	w.sim.SetFaults(nil)

	o := w.wantExactlyOnce(reqs, true)
	for _, kind := range []string{"repository", "pull request", "comment"} {
		if got := o.Creates[kind+" 2xx"]; got > n {
			t.Errorf("%d %s creates took effect, want at most %d; creates: %v", got, kind, n, o.Creates)
		}
	}
	if v := w.sim.Violations(); len(v) > 0 {
		t.Errorf("%d rate-limit violations, want 0: %+v", len(v), v)
	}
	var parts []string
	total := 0
	for i, f := range githubFaults {
		total += fired[i]
		parts = append(parts, fmt.Sprintf("%d %s", fired[i], faultName(f)))
	}
	w.stats.Faults = fmt.Sprintf("%d faults (%s), %d installation tokens ended early, %d rate-limit violations",
		total, strings.Join(parts, ", "), tokensEnded, len(w.sim.Violations()))
	t.Logf("injected: %s", w.stats.Faults)
	report(t, "GitHub faults (sqlite)", w, o)
}

func faultName(f githubsim.Fault) string {
	switch f.Kind {
	case githubsim.Error5xx:
		return fmt.Sprintf("%d without effect", f.Status)
	case githubsim.Slow:
		return fmt.Sprintf("stalls of %s", f.Delay)
	case githubsim.AfterWrite502:
		return "502 after the write took effect"
	}
	return "unknown"
}
