package upgrade

import (
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
)

// outcomeCounts reads goldenpath_upgrade_jobs_total by outcome label.
func outcomeCounts(t *testing.T, w *Workflow) map[string]float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 64)
	w.metrics.jobs.Collect(ch)
	close(ch)
	out := map[string]float64{}
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatal(err)
		}
		for _, l := range d.GetLabel() {
			if l.GetName() == "outcome" {
				out[l.GetValue()] = d.GetCounter().GetValue()
			}
		}
	}
	return out
}

// TestEveryExitIsCounted runs an upgrade job down each of its exits: each
// run counts exactly once in goldenpath_upgrade_jobs_total, under the
// expected label, which is one of the documented Outcomes (and in the
// metric's help), and the job's error says the same to the queue.
func TestEveryExitIsCounted(t *testing.T) {
	wd := newWorld(t, githubsim.Limits{Disabled: true}, testPolicy())
	wd.publish("1.0.0", skeletonV1, "## 1.0.0\n")
	wd.publish("1.1.0", edited(skeletonV1, map[string]string{"NEW": "x\n"}), "## 1.1.0\n")
	wd.run()
	for _, r := range []string{"a", "b", "e"} {
		wd.scaffold(r, "1.0.0", skeletonV1)
	}
	wd.scaffold("c", "1.1.0", edited(skeletonV1, map[string]string{"NEW": "x\n"}))
	wd.run()
	for _, r := range []string{"a", "b", "c", "e"} {
		if err := wd.w.RefreshRepo(wd.ctx, wd.inst, org, r, "main", ""); err != nil {
			t.Fatal(err)
		}
	}

	seen := map[string]bool{}
	step := func(name string, a RepoArgs, want outcome) {
		t.Helper()
		before := outcomeCounts(t, wd.w)
		err := wd.w.UpgradeRepo(wd.ctx, a)
		after := outcomeCounts(t, wd.w)
		total := 0.0
		for label, n := range after {
			if d := n - before[label]; d != 0 {
				total += d
				if !slices.Contains(Outcomes, label) {
					t.Errorf("%s: counted under %q, which Outcomes does not document", name, label)
				}
			}
		}
		if total != 1 || after[string(want)]-before[string(want)] != 1 {
			t.Errorf("%s: counted %v times, under %v (was %v); want once under %s", name, total, after, before, want)
		}
		_, retry := job.RetryWait(err)
		switch want {
		case outFailed:
			if !job.GaveUp(err) {
				t.Errorf("%s: error %v, want a job.GiveUp", name, err)
			}
		case outSnoozed:
			if !retry {
				t.Errorf("%s: error %v, want a job.Retry", name, err)
			}
		case outError:
			if err == nil || retry || job.GaveUp(err) {
				t.Errorf("%s: error %v, want an error the queue retries", name, err)
			}
		default:
			if err != nil {
				t.Errorf("%s: error %v, want nil", name, err)
			}
		}
		seen[string(want)] = true
	}

	step("not a version tag", wd.args("a", "svc/latest"), outSkipped)
	step("the index has it already", wd.args("a", "svc/v1.0.0"), outUpToDate)
	step("a new pull request", wd.args("a", "svc/v1.1.0"), outOpened)
	limited := wd.args("b", "svc/v1.1.0")
	limited.PRConcurrentLimit = 1
	step("over prConcurrentLimit", limited, outSnoozed)
	step("nothing new for the open pull request", wd.args("a", "svc/v1.1.0"), outSame)
	if err := wd.fleet.Upsert(wd.ctx, fleet.Repo{InstallationID: wd.inst, Owner: org, Name: "c", Template: "svc", Version: "1.0.0", DefaultBranch: "main"}); err != nil {
		t.Fatal(err)
	}
	step("the index was behind the repository", wd.args("c", "svc/v1.1.0"), outCaughtUp)
	wd.publish("1.2.0", edited(skeletonV1, map[string]string{"NEW": "y\n"}), "## 1.2.0\n")
	step("a newer version for the open pull request", wd.args("a", "svc/v1.2.0"), outUpdated)
	pr := wd.onlyOpenPR("a")
	wd.push("a", pr.Head, map[string]string{"MINE": "mine\n"}, "alice")
	wd.publish("1.3.0", edited(skeletonV1, map[string]string{"NEW": "z\n"}), "## 1.3.0\n")
	step("a person pushed to the branch", wd.args("a", "svc/v1.3.0"), outBlocked)
	wd.push("b", "main", map[string]string{".goldenpath.yml": "template: [\n"}, "alice")
	step("an answers file that does not parse", wd.args("b", "svc/v1.1.0"), outFailed)
	wd.sim.SetFaults([]githubsim.Fault{{Method: "GET", Pattern: "/repos/{owner}/{repo}/pulls", Rate: 1, Kind: githubsim.Error5xx, Status: 502}})
	step("GitHub failing", wd.args("e", "svc/v1.1.0"), outError)
	wd.sim.SetFaults(nil)

	for _, o := range Outcomes {
		if !seen[o] {
			t.Errorf("outcome %s is documented but no exit was run down to it", o)
		}
	}
}
