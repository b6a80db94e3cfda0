package request

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// TestIdempotency: redeliveries, concurrent deliveries, other replicas and
// failures after a write make one repository, one commit and one comment.
func TestIdempotency(t *testing.T) {
	ctx := context.Background()
	valid := readBody(t, "go-service-valid.md")
	fault := func(method, pattern string) []githubsim.Fault {
		return []githubsim.Fault{{Method: method, Pattern: pattern, Nth: 1, Kind: githubsim.AfterWrite502}}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, w *world, ev IssueEvent)
	}{
		{"same event three times", func(t *testing.T, w *world, ev IssueEvent) {
			for range 3 {
				mustNil(t, w.wf.HandleIssue(ctx, ev))
			}
		}},
		{"same event twice concurrently, plus the labeled event", func(t *testing.T, w *world, ev IssueEvent) {
			labeled := ev
			labeled.Action, labeled.Label = "labeled", "template:go-service"
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i, e := range []IssueEvent{ev, ev, labeled} {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = w.wf.HandleIssue(ctx, e) }()
			}
			wg.Wait()
			mustNil(t, errors.Join(errs...))
		}},
		{"redelivered to another replica after completion", func(t *testing.T, w *world, ev IssueEvent) {
			mustNil(t, w.wf.HandleIssue(ctx, ev))
			other := w.newWorkflow()
			err := other.HandleIssue(ctx, ev)
			if err == nil {
				t.Fatal("a repository made a moment ago must be left to its maker for now")
			}
			wait, ok := job.RetryWait(err)
			if !ok || wait <= 0 || wait > inProgressWindow+time.Second {
				t.Fatalf("want a job.Retry within %s, got %v (%v)", inProgressWindow, err, wait)
			}
			w.advance(wait) // the queue snoozes the job that long
			mustNil(t, other.HandleIssue(ctx, ev))
		}},
		{"two replicas at once", func(t *testing.T, w *world, ev IssueEvent) {
			other := w.newWorkflow()
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, wf := range []*Workflow{w.wf, other} {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = wf.HandleIssue(ctx, ev) }()
			}
			wg.Wait()
			// The loser may be told to come back later (the queue retries it).
			for _, wf := range []*Workflow{w.wf, other} {
				if err := wf.HandleIssue(ctx, ev); err != nil {
					w.advance(time.Minute)
					mustNil(t, wf.HandleIssue(ctx, ev))
				}
			}
		}},
		{"502 after the repository was created", func(t *testing.T, w *world, ev IssueEvent) {
			w.sim.SetFaults(fault("POST", "/orgs/{org}/repos"))
			mustNil(t, w.wf.HandleIssue(ctx, ev)) // the client reads the repository back
		}},
		{"502 after the commit, retried by the client", func(t *testing.T, w *world, ev IssueEvent) {
			w.sim.SetFaults(fault("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}"))
			mustNil(t, w.wf.HandleIssue(ctx, ev))
		}},
		{"GitHub down after the commit: the retry resumes from .goldenpath.yml", func(t *testing.T, w *world, ev IssueEvent) {
			w.sim.SetFaults([]githubsim.Fault{{Method: "PUT", Pattern: "/repos/{owner}/{repo}/topics", Rate: 1, Kind: githubsim.Error5xx}})
			if err := w.wf.HandleIssue(ctx, ev); err == nil {
				t.Fatal("want the error returned for the queue to retry")
			}
			w.sim.SetFaults(nil)
			w.advance(time.Minute) // the queue's retry
			w.sim.ResetCounts()
			mustNil(t, w.newWorkflow().HandleIssue(ctx, ev))
			if _, routes := w.requests(); routes["POST /repos/{owner}/{repo}/git/commits"] != 0 {
				t.Errorf("the retry wrote a commit again: %v", routes)
			}
		}},
		{"GitHub down between creating the repository and its commit: a later retry writes into it", func(t *testing.T, w *world, ev IssueEvent) {
			w.sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/repos/{owner}/{repo}/git/trees", Rate: 1, Kind: githubsim.Error5xx, Status: 503}})
			if err := w.wf.HandleIssue(ctx, ev); err == nil {
				t.Fatal("want the error returned for the queue to retry")
			}
			w.sim.SetFaults(nil)
			// So young a repository may be another worker's: come back later.
			err := w.newWorkflow().HandleIssue(ctx, ev)
			if err == nil {
				t.Fatal("want a retryable error for a repository created a moment ago")
			}
			mustContain(t, "error", err.Error(), "checking again later")
			if c := w.botComments(ev.Number); len(c) != 0 {
				t.Fatalf("commented before finishing: %q", c)
			}
			w.advance(time.Minute)
			mustNil(t, w.newWorkflow().HandleIssue(ctx, ev))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "")
			ev := w.open("alice", valid, "goldenpath", "template:go-service")
			tc.run(t, w, ev)
			if repos := w.repos(); len(repos) != 1 {
				t.Fatalf("repositories: %v", repos)
			}
			commits, err := w.sim.Commits(testOrg, "payments-api", "main")
			mustNil(t, err)
			if len(commits) != 1 {
				t.Errorf("want one commit, got %d", len(commits))
			}
			if _, ok := w.repoFile("payments-api", "catalog-info.yaml"); !ok {
				t.Error("files missing")
			}
			comments := w.botComments(ev.Number)
			if len(comments) != 1 {
				t.Fatalf("bot comments: %q", comments)
			}
			mustContain(t, "comment", comments[0], "Created acme/payments-api")
			is := w.issue(ev.Number)
			if closedAs(is) != "completed" || !has(is.Labels, LabelCreated) {
				t.Errorf("issue not finished: %+v", is)
			}
			if r, _ := w.sim.Repo(testOrg, "payments-api"); r.TeamPerms["team-payments"] != "maintain" || len(r.Topics) != 2 {
				t.Errorf("access or topics missing: %+v", r)
			}
			if _, ok := w.fleetRepo("payments-api"); !ok {
				t.Error("not recorded in the fleet index")
			}
		})
	}
}

// TestRequestBudget: one go-service request costs at most 12 GitHub
// requests (token creation aside), whatever the file count, on any replica
// in steady state, and sends no write twice. Steady state: the templates
// were loaded when the templates repository was last pushed to
// (EnsureLabels, by whichever replica got the push), and goldenpath.yaml is
// older than its one-minute cache, so every case pays for reading it.
//   - warm: the replica that worked the push;
//   - second replica: another process, nothing in memory, sharing the database;
//   - stale shared tags: a second replica when the shared tag list is over an
//     hour old (a push delivery was missed): one more request, the tag list;
//   - cold: a new process on an empty database, measured (tags, policy and
//     the archive are all read from GitHub).
func TestRequestBudget(t *testing.T) {
	cases := []struct {
		name    string
		replica func(w *world) *Workflow
		wait    time.Duration
		limit   int
		tagList int // GET matching-refs (the tag list) expected
	}{
		{"warm", func(w *world) *Workflow { return w.wf }, 2 * time.Minute, budget, 0},
		{"second replica", func(w *world) *Workflow { return w.replica(w.shared) }, 2 * time.Minute, budget, 0},
		{"stale shared tags", func(w *world) *Workflow { return w.replica(w.shared) }, 2 * time.Hour, budget + 1, 1},
		{"cold", func(w *world) *Workflow {
			return w.replica(templatesrc.NewDBCache(storetest.Open(w.t, store.SQLite)))
		}, 2 * time.Minute, budget + 3, 1},
	}
	for _, extra := range []int{0, 300} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s, %d extra files", c.name, extra), func(t *testing.T) {
				w := newWorld(t, "")
				if extra > 0 {
					manifest, err := fs.ReadFile(templates.FS(), "templates/go-service/template.yaml")
					mustNil(t, err)
					files := map[string][]byte{"templates/go-service/template.yaml": manifest} // main has a WIP one
					for i := range extra {
						files[fmt.Sprintf("templates/go-service/skeleton/internal/gen/f%03d.go.tmpl", i)] = []byte("package gen // {{ .name }}\n")
					}
					sha, err := w.sim.Push(testOrg, templRepo, "main", files, "Many files", "bob")
					mustNil(t, err)
					mustNil(t, w.sim.Tag(testOrg, templRepo, "go-service/v1.3.0", sha))
					mustNil(t, w.wf.EnsureLabels(context.Background(), w.inst, testOrg)) // the push event
				}
				w.advance(c.wait)
				wf := c.replica(w)
				ev := w.open("alice", readBody(t, "go-service-valid.md"), "goldenpath", "template:go-service")
				w.sim.ResetCounts()
				mustNil(t, wf.HandleIssue(context.Background(), ev))
				if _, ok := w.repoFile("payments-api", fmt.Sprintf("internal/gen/f%03d.go", extra-1)); extra > 0 && !ok {
					t.Fatal("the extra files were not written")
				}
				if is := w.issue(ev.Number); closedAs(is) != "completed" || !has(is.Labels, LabelCreated) || has(is.Labels, LabelNeedsChanges) {
					t.Errorf("issue not finished: %+v", is)
				}
				n, routes := w.requests()
				t.Logf("%s: %d requests: %v", c.name, n, routes)
				if n > c.limit {
					t.Errorf("%d GitHub requests for one request, want at most %d: %v", n, c.limit, routes)
				}
				if got := routes["GET /repos/{owner}/{repo}/contents/{path}"]; got < 1 {
					t.Errorf("goldenpath.yaml (older than a minute) was not read again: %v", routes)
				}
				if got := routes["GET /repos/{owner}/{repo}/git/matching-refs/{ref}"]; got != c.tagList {
					t.Errorf("tag list read %d times, want %d: %v", got, c.tagList, routes)
				}
				for r, k := range routes {
					if !strings.HasPrefix(r, "GET ") && k > 1 {
						t.Errorf("write sent %d times: %s", k, r)
					}
				}
			})
		}
	}
}
