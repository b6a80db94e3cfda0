package request

import (
	"context"
	"errors"
	"fmt"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
	"github.com/goldenpath-dev/goldenpath/internal/tmplcache"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// budget is the most GitHub requests one go-service request may cost.
const budget = 12

const approvalPolicy = `approval:
  required: true
  approvers: platform
`

func TestRequestFlow(t *testing.T) {
	ctx := context.Background()
	valid := readBody(t, "go-service-valid.md")
	tests := []struct {
		name   string
		policy string
		// run files the issue and drives the workflow; it returns the issue number.
		run          func(t *testing.T, w *world) int
		wantRepo     string   // repository that must exist afterwards ("" none)
		wantComment  []string // the one bot comment contains these
		wantLabels   []string
		noLabels     []string
		wantClosed   string
		wantNoWrites bool
	}{
		{
			name: "valid request with its labels",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", valid, "goldenpath", "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantRepo:    "payments-api",
			wantComment: []string{"Created acme/payments-api", "/acme/payments-api)", "v1.2.0", "`@acme/team-payments`"},
			wantLabels:  []string{LabelCreated, "goldenpath", "template:go-service"},
			noLabels:    []string{LabelNeedsChanges},
			wantClosed:  "completed",
		},
		{
			name: "labels dropped by GitHub: recognised by headings, labels added",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", valid)
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantRepo:   "payments-api",
			wantLabels: []string{LabelCreated, "goldenpath", "template:go-service"},
			wantClosed: "completed",
		},
		{
			name: "CRLF body, lowercase checkbox, empty dropdown takes the default",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", readBody(t, "go-service-crlf.md"), "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				af, _ := w.repoFile("ledger", ".goldenpath.yml")
				mustContain(t, ".goldenpath.yml", af, "lifecycle: experimental", "dependabot: true")
				return ev.Number
			},
			wantRepo:   "ledger",
			wantClosed: "completed",
		},
		{
			name: "invalid answers: one comment listing every problem",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", readBody(t, "go-service-invalid.md"), "goldenpath", "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				mustNil(t, w.wf.HandleIssue(ctx, ev)) // a redelivery edits nothing
				return ev.Number
			},
			wantComment: []string{"needs changes", "**Service name**", "**Owning team**: is required", "**Description**: must be at least 10", "**Lifecycle**", `"retired"`},
			wantLabels:  []string{LabelNeedsChanges},
			noLabels:    []string{LabelCreated},
		},
		{
			name: "edit re-checks: needs changes, then created",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", readBody(t, "go-service-invalid.md"), "goldenpath", "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				if got := closedAs(w.issue(ev.Number)); got != "" {
					t.Fatalf("closed after invalid answers: %q", got)
				}
				mustNil(t, w.wf.HandleIssue(ctx, w.edit(ev, valid)))
				return ev.Number
			},
			wantRepo:    "payments-api",
			wantComment: []string{"Created acme/payments-api"},
			wantLabels:  []string{LabelCreated},
			noLabels:    []string{LabelNeedsChanges},
			wantClosed:  "completed",
		},
		{
			name: "name taken by a repository this request did not create",
			run: func(t *testing.T, w *world) int {
				mustNil(t, w.sim.CreateRepo(testOrg, "payments-api", githubsim.RepoOptions{Private: true}))
				_, err := w.sim.Push(testOrg, "payments-api", "main", map[string][]byte{"README.md": []byte("# the old one\n")}, "Initial", "carol")
				mustNil(t, err)
				ev := w.open("alice", valid, "template:go-service")
				w.advance(time.Hour) // not a repository made a moment ago
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				r, _ := w.sim.Repo(testOrg, "payments-api")
				commits, _ := w.sim.Commits(testOrg, "payments-api", "main")
				if len(commits) != 1 || len(r.TeamPerms) != 0 || len(r.Topics) != 0 {
					t.Errorf("existing repository touched: %+v, %d commits", r, len(commits))
				}
				return ev.Number
			},
			wantRepo:    "payments-api",
			wantComment: []string{"already exists", "untouched", "Choose another name"},
			wantLabels:  []string{LabelNeedsChanges},
			noLabels:    []string{LabelCreated},
		},
		{
			name: "author not an org member",
			run: func(t *testing.T, w *world) int {
				ev := w.open("mallory", valid, "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantComment: []string{"Only members of acme", "@mallory"},
			noLabels:    []string{LabelCreated},
		},
		{
			name: "owner team does not exist",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", readBody(t, "go-service-missing-team.md"), "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantComment: []string{"no team `team-nobody`", "**Owning team**"},
			wantLabels:  []string{LabelNeedsChanges},
		},
		{
			name: "template that fails to render",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", "### Service name\n\ndemo\n\n### Owning team\n\nteam-payments", "template:broken-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantComment: []string{"failed to render", "nonexistent", "/retry"},
			noLabels:    []string{LabelCreated, LabelNeedsChanges},
		},
		{
			name: "template without a published version",
			run: func(t *testing.T, w *world) int {
				mustNil(t, w.sim.CreateLabel(testOrg, templRepo, "template:java-service", "1d76db", ""))
				ev := w.open("alice", valid, "template:java-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantComment: []string{"no published version", "java-service/vX.Y.Z"},
		},
		{
			name:   "requesters restricted to teams",
			policy: "requesters:\n  teams: [developers]\n",
			run: func(t *testing.T, w *world) int {
				ev := w.open("carol", strings.ReplaceAll(valid, "payments-api", "carols-api"), "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				if _, ok := w.repoFile("carols-api", ".goldenpath.yml"); ok {
					t.Error("a requester outside the teams got a repository")
				}
				ev2 := w.open("alice", valid, "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev2))
				return ev.Number
			},
			wantRepo:    "payments-api", // alice's
			wantComment: []string{"You may not request repositories", "@acme/developers", "@carol"},
		},
		{
			name:   "approval: waits, ignores the author and non-approvers, then creates",
			policy: approvalPolicy,
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", valid, "goldenpath", "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				mustContain(t, "comment", strings.Join(w.botComments(ev.Number), ""), "Waiting for approval", "`/approve`", "@acme/platform")
				mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "alice", "/approve")))
				mustContain(t, "comment", strings.Join(w.botComments(ev.Number), ""), "cannot approve it")
				mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "carol", "/approve please")))
				mustContain(t, "comment", strings.Join(w.botComments(ev.Number), ""), "does not count")
				if len(w.repos()) != 0 {
					t.Fatal("created before approval")
				}
				mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "bob", "/approve")))
				return ev.Number
			},
			wantRepo:    "payments-api",
			wantComment: []string{"Created acme/payments-api"},
			wantClosed:  "completed",
		},
		{
			name:   "approvers are not asked about a request that cannot go ahead",
			policy: approvalPolicy,
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", readBody(t, "go-service-missing-team.md"), "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantComment: []string{"no team `team-nobody`"},
			wantLabels:  []string{LabelNeedsChanges},
		},
		{
			name: "a policy change on the default branch applies without a new tag",
			run: func(t *testing.T, w *world) int {
				_, err := w.sim.Push(testOrg, templRepo, "main", map[string][]byte{PolicyFileName: []byte(approvalPolicy)}, "Require approval", "bob")
				mustNil(t, err)
				mustNil(t, w.wf.EnsureLabels(ctx, w.inst, testOrg)) // the push event
				ev := w.open("alice", valid, "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantComment: []string{"Waiting for approval"},
		},
		{
			name:   "a broken policy stops requests with a clear comment",
			policy: "aproval:\n  required: true\n",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", valid, "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantComment: []string{"policy is broken", "aproval", "/retry"},
		},
		{
			name: "reopening a created request does not run it again",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", valid, "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				mustNil(t, w.sim.SetIssueState(testOrg, templRepo, ev.Number, "alice", "open", ""))
				w.sim.ResetCounts()
				mustNil(t, w.newWorkflow().HandleIssue(ctx, w.issueEvent("reopened", ev.Number)))
				if n, routes := w.requests(); n != 0 {
					t.Errorf("GitHub requests: %v", routes)
				}
				mustNil(t, w.sim.SetIssueState(testOrg, templRepo, ev.Number, "alice", "closed", "completed"))
				return ev.Number
			},
			wantRepo:    "payments-api",
			wantComment: []string{"Created acme/payments-api"},
			wantClosed:  "completed",
		},
		{
			name: "an issue that is not a request is left alone",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", readBody(t, "not-a-request.md"))
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				return ev.Number
			},
			wantNoWrites: true,
		},
		{
			name: "events from the bot and from other repositories are ignored",
			run: func(t *testing.T, w *world) int {
				ev := w.open("alice", valid, "template:go-service")
				bot := ev
				bot.Sender, bot.SenderIsBot = "goldenpath[bot]", true
				mustNil(t, w.wf.HandleIssue(ctx, bot))
				other := ev
				other.Repo = "payments"
				mustNil(t, w.wf.HandleIssue(ctx, other))
				return ev.Number
			},
			wantNoWrites: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.policy)
			n := tc.run(t, w)
			if tc.wantNoWrites {
				if ws := w.writes(); len(ws) != 0 {
					t.Fatalf("writes sent: %v", ws)
				}
				if c := w.botComments(n); len(c) != 0 {
					t.Fatalf("bot comments: %q", c)
				}
				return
			}
			comments := w.botComments(n)
			if len(comments) != 1 {
				t.Fatalf("want exactly one bot comment, got %d: %q", len(comments), comments)
			}
			mustContain(t, "comment", comments[0], tc.wantComment...)
			is := w.issue(n)
			for _, l := range tc.wantLabels {
				if !has(is.Labels, l) {
					t.Errorf("label %s missing: %v", l, is.Labels)
				}
			}
			for _, l := range tc.noLabels {
				if has(is.Labels, l) {
					t.Errorf("label %s present: %v", l, is.Labels)
				}
			}
			if got := closedAs(is); got != tc.wantClosed {
				t.Errorf("closed as %q, want %q", got, tc.wantClosed)
			}
			repos := w.repos()
			if tc.wantRepo == "" && len(repos) != 0 {
				t.Errorf("repositories created: %v", repos)
			} else if tc.wantRepo != "" && !has(repos, testOrg+"/"+tc.wantRepo) {
				t.Errorf("repository %s missing: %v", tc.wantRepo, repos)
			}
		})
	}
}

func closedAs(is githubsim.IssueInfo) string {
	if is.State != "closed" {
		return ""
	}
	return is.StateReason
}

// writes lists the write routes called since the counts were reset.
func (w *world) writes() []string {
	_, routes := w.requests()
	var out []string
	for r, n := range routes {
		if !strings.HasPrefix(r, "GET ") && !strings.HasPrefix(r, "HEAD ") {
			out = append(out, fmt.Sprintf("%s ×%d", r, n))
		}
	}
	sort.Strings(out)
	return out
}

// TestCreatedRepository checks what the new repository holds (SPEC §4).
func TestCreatedRepository(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "repository:\n  visibility: internal\n  topics: [payments, goldenpath]\n")
	ev := w.open("alice", readBody(t, "go-service-valid.md"), "goldenpath", "template:go-service")
	mustNil(t, w.wf.HandleIssue(ctx, ev))

	for _, p := range []string{".github/workflows/ci.yml", ".github/dependabot.yml", "Dockerfile", "catalog-info.yaml", ".goldenpath.yml", "go.mod", "main.go"} {
		if _, ok := w.repoFile("payments-api", p); !ok {
			t.Errorf("%s missing from the repository", p)
		}
	}
	commits, err := w.sim.Commits(testOrg, "payments-api", "main")
	mustNil(t, err)
	if len(commits) != 1 || len(commits[0].Parents) != 0 {
		t.Errorf("want every file in one root commit, got %d commits", len(commits))
	}
	ci, _ := w.repoFile("payments-api", ".github/workflows/ci.yml")
	mustContain(t, "ci.yml", ci, "${{")
	cat, _ := w.repoFile("payments-api", "catalog-info.yaml")
	mustContain(t, "catalog-info.yaml", cat, `name: "payments-api"`, "team-payments", "github.com/project-slug: acme/payments-api")
	af, _ := w.repoFile("payments-api", ".goldenpath.yml")
	mustContain(t, ".goldenpath.yml", af, "template: go-service", "version: 1.2.0", "source: acme/golden-paths",
		"request: "+ev.URL, "name: payments-api", "owner: team-payments", "lifecycle: production")

	r, ok := w.sim.Repo(testOrg, "payments-api")
	if !ok || r.Visibility != "internal" {
		t.Errorf("visibility %q, want internal from the policy", r.Visibility)
	}
	if r.TeamPerms["team-payments"] != "maintain" {
		t.Errorf("owner team access: %v", r.TeamPerms)
	}
	if strings.Join(r.Topics, ",") != "goldenpath,template-go-service,payments" {
		t.Errorf("topics %v", r.Topics)
	}
	fr, ok := w.fleetRepo("payments-api")
	if !ok || fr.Template != "go-service" || fr.Version != "1.2.0" || fr.DefaultBranch != "main" || fr.InstallationID != w.inst || fr.Request != ev.URL {
		t.Errorf("fleet record %+v, %v", fr, ok)
	}
}

func TestDefaultVisibilityIsPrivate(t *testing.T) {
	w := newWorld(t, "")
	mustNil(t, w.wf.HandleIssue(context.Background(), w.open("alice", readBody(t, "go-service-valid.md"), "template:go-service")))
	if r, _ := w.sim.Repo(testOrg, "payments-api"); !r.Private {
		t.Errorf("repository is not private: %+v", r)
	}
}

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
			wait, ok := RetryAfter(err)
			if !ok || wait <= 0 || wait > inProgressWindow+time.Second {
				t.Fatalf("want a RetryLaterError within %s, got %v (%v)", inProgressWindow, err, wait)
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
			return w.replica(tmplcache.New(storetest.Open(w.t, store.SQLite)))
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

func TestExplainFailureThenRetry(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "")
	ev := w.open("alice", readBody(t, "go-service-valid.md"), "goldenpath", "template:go-service")
	mustNil(t, w.wf.ExplainFailure(ctx, ev, errors.New("creating repository acme/payments-api: github answered 503")))
	mustContain(t, "comment", strings.Join(w.botComments(ev.Number), ""), "could not finish", "github answered 503", "/retry")
	mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "alice", "/retry")))
	c := w.botComments(ev.Number)
	if len(c) != 1 {
		t.Fatalf("bot comments: %q", c)
	}
	mustContain(t, "comment", c[0], "Created acme/payments-api")
	// Comments that are no command, and commands on closed issues, do nothing.
	w.sim.ResetCounts()
	mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "alice", "thanks!")))
	mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "alice", "/retry")))
	if n, routes := w.requests(); n != 0 {
		t.Errorf("GitHub requests after the request was closed: %v", routes)
	}
}

func TestEnsureLabels(t *testing.T) {
	w := newWorld(t, "")
	got := w.sim.Labels(testOrg, templRepo)
	for _, want := range []string{"goldenpath", "goldenpath:needs-changes", "goldenpath:created", "template:broken-service", "template:go-service", "template:node-service"} {
		if !has(got, want) {
			t.Errorf("label %s missing: %v", want, got)
		}
	}
}

// TestHostileAnswersStayText files answers that try to become markup in the
// bot's comment: a link, a mention, a fake marker and a table row. The
// comment quotes them as text and carries only the bot's own marker.
func TestHostileAnswersStayText(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "")
	body := strings.Replace(readBody(t, "go-service-valid.md"), "payments-api", "[click here](https://evil.example) @octocat <!-- x -->", 1)
	body = strings.Replace(body, "team-payments", "| a | *b* _c_ `d`", 1)
	body = strings.Replace(body, "\nproduction\n", "\n"+strings.Repeat("x", 60000)+"\n", 1)
	ev := w.open("alice", body, "template:go-service")
	mustNil(t, w.wf.HandleIssue(ctx, ev))
	comments := w.botComments(ev.Number)
	if len(comments) != 1 {
		t.Fatalf("want one bot comment, got %d", len(comments))
	}
	c := comments[0]
	mustContain(t, "comment", c, "**Service name**", `\[click here\](https`+"\u200b"+`://evil.example)`, "@\u200boctocat", `\| a \|`, `\*b\*`, `\_c\_`, "\\`d\\`")
	for _, bad := range []string{"[click here](", "@octocat", "| a |", "*b*", "`d`"} {
		if strings.Contains(c, bad) {
			t.Errorf("comment carries %q as markup:\n%s", bad, c)
		}
	}
	if n := strings.Count(c, "<!--"); n != 1 {
		t.Errorf("comment has %d HTML comments, want only the bot's marker:\n%s", n, c)
	}
	if len(c) > 2000 {
		t.Errorf("comment is %d bytes: a long answer is quoted whole", len(c))
	}
}

func TestOneLineCutsOnACharacterBoundary(t *testing.T) {
	for _, pad := range []int{997, 998, 999, 1000} {
		got := oneLine(errors.New(strings.Repeat("a", pad) + strings.Repeat("€", 10)))
		if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > 1000+len("…") {
			t.Errorf("pad %d: %d bytes, valid UTF-8 %v: %q", pad, len(got), utf8.ValidString(got), got[len(got)-8:])
		}
	}
}

// TestTreeFSKeepsSymlinks: a link in a template read from GitHub is refused
// by the renderer, as on disk, rather than rendered as a file.
func TestTreeFSKeepsSymlinks(t *testing.T) {
	files := map[string]github.File{
		"templates/linked/template.yaml": {Data: []byte(minimalTemplate), Mode: 0o644},
		"templates/linked/skeleton/a.sh": {Data: []byte("echo {{ .name }}\n"), Mode: 0o755},
		"templates/linked/skeleton/etc":  {Data: []byte("../../../../etc"), Mode: fs.ModeSymlink | 0o777},
	}
	sub, err := fs.Sub(treeFS(files), "templates/linked")
	mustNil(t, err)
	tmpl, err := template.Load(sub)
	mustNil(t, err)
	_, err = template.Render(tmpl, template.Answers{"name": "svc", "owner": "team"}, template.RenderContext{Org: testOrg})
	if err == nil || !strings.Contains(err.Error(), "skeleton/etc is a symbolic link") {
		t.Fatalf("render error = %v, want the link refused", err)
	}
}

const minimalTemplate = `name: linked
title: Linked
description: A template with a link.
parameters:
  - id: name
    title: Name
    type: string
    required: true
    example: svc
  - id: owner
    title: Owner
    type: string
    required: true
    example: team
`
