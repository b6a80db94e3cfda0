package app_test

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// TestUpgradeAfterScaffold follows one service from its request to its first
// template upgrade, through webhooks only: the owners edit it, the platform
// team pushes go-service/v1.1.0, the bot opens an upgrade pull request that
// keeps the owners' edit, and merging it moves the fleet index.
func TestUpgradeAfterScaffold(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil)
		n := w.request(developer, goAnswers("payments-api"))
		w.wantCreated(n, "payments-api")

		created, err := w.Sim.Files(org, "payments-api", "main")
		if err != nil {
			t.Fatal(err)
		}
		readme := string(created["README.md"])
		title, rest, _ := strings.Cut(readme, "\n")
		ownersReadme := title + "\n\nOn call: #payments-oncall.\n" + rest
		if _, err := w.Sim.Push(org, "payments-api", "main", map[string][]byte{"README.md": []byte(ownersReadme)}, "Say who is on call", developer); err != nil {
			t.Fatal(err)
		}
		w.settle()

		skeletonReadme := readFile(t, "templates/go-service/skeleton/README.md")
		if _, err := w.PublishVersion("go-service", "1.1.0", "- A runbook for on-call.", "platform-team", map[string][]byte{
			"skeleton/README.md":       append(skeletonReadme, []byte("\nWhen paged, follow [the runbook](docs/runbook.md).\n")...),
			"skeleton/docs/runbook.md": []byte("# Runbook of {{ .name }}\n"),
		}); err != nil {
			t.Fatal(err)
		}
		w.settle()

		prs := openPRs(w.Sim.PullRequests(org, "payments-api"))
		if len(prs) != 1 {
			t.Fatalf("payments-api has %d open pull requests, want 1: %+v", len(prs), prs)
		}
		pr := prs[0]
		if pr.Title != "Upgrade go-service template to v1.1.0" || pr.Head != "goldenpath/upgrade-go-service" || pr.Draft {
			t.Errorf("pull request = %q from %s (draft %v)", pr.Title, pr.Head, pr.Draft)
		}
		if !strings.Contains(pr.Body, "A runbook for on-call.") {
			t.Errorf("the body does not quote the changelog:\n%s", pr.Body)
		}
		head, err := w.Sim.Files(org, "payments-api", pr.Head)
		if err != nil {
			t.Fatal(err)
		}
		got := string(head["README.md"])
		if !strings.Contains(got, "On call: #payments-oncall.") || !strings.Contains(got, "follow [the runbook]") {
			t.Errorf("README.md on the branch lost a side's change:\n%s", got)
		}
		if string(head["docs/runbook.md"]) != "# Runbook of payments-api\n" {
			t.Errorf("docs/runbook.md = %q", head["docs/runbook.md"])
		}
		af, err := template.ParseAnswersFile(head[template.AnswersFileName])
		if err != nil || af.Version != "1.1.0" {
			t.Errorf(".goldenpath.yml on the branch: %+v, %v", af, err)
		}

		if _, err := w.Sim.MergePR(org, "payments-api", pr.Number, developer); err != nil {
			t.Fatal(err)
		}
		w.settle()
		if rec, err := w.App.Fleet.Get(w.ctx, org, "payments-api"); err != nil || rec.Version != "1.1.0" {
			t.Errorf("after the merge the fleet index says %+v, %v", rec, err)
		}
		var dashboard string
		// The refresh is a batched job that River's leader promotes every few
		// seconds; on a loaded machine that can take a while.
		err = sandbox.WaitFor(w.ctx, 2*timeout, "the fleet dashboard to list the service at v1.1.0", func() bool {
			for _, is := range w.Sim.Issues(org, w.TemplatesRepo) {
				if is.Title == "Golden path fleet" {
					dashboard = is.Body
				}
			}
			return strings.Contains(dashboard, "acme/payments-api") && strings.Contains(dashboard, "v1.1.0")
		})
		if err != nil {
			// Say what the queue holds, to tell a lost refresh from a late one.
			t.Errorf("%v:\n%s", err, dashboard)
			jobs, _ := w.App.Queue.Jobs(context.Background(), river.NewJobListParams().Kinds("goldenpath_fleet_dashboard").States(rivertype.JobStateAvailable, rivertype.JobStateCompleted, rivertype.JobStateScheduled, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateDiscarded, rivertype.JobStateCancelled, rivertype.JobStatePending).First(50))
			for _, j := range jobs {
				t.Logf("dashboard job %d: %s, scheduled %s, attempted %v, finalized %v, args %s, errors %v", j.ID, j.State, j.ScheduledAt.Format("15:04:05.000"), j.AttemptedAt, j.FinalizedAt, j.EncodedArgs, j.Errors)
			}
			t.Logf("now %s", time.Now().UTC().Format("15:04:05.000"))
		}
	})
}

func openPRs(all []githubsim.IssueInfo) []githubsim.IssueInfo {
	var out []githubsim.IssueInfo
	for _, p := range all {
		if p.State == "open" {
			out = append(out, p)
		}
	}
	return out
}
