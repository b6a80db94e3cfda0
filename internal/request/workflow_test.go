package request

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

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
			wantComment: []string{"Created acme/payments-api", "https://github.com/acme/payments-api", "v1.2.0"},
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
				if got := w.closedAs(ev.Number); got != "" {
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
				w.gh.repos["payments-api"] = &fakeRepo{
					repo:  Repo{Owner: testOrg, Name: "payments-api", DefaultBranch: "main"},
					files: map[string]string{"README.md": "# the old one\n"}, grants: map[string]string{},
				}
				ev := w.open("alice", valid, "template:go-service")
				mustNil(t, w.wf.HandleIssue(ctx, ev))
				r := w.gh.repos["payments-api"]
				if len(r.files) != 1 || len(r.grants) != 0 || r.topics != nil {
					t.Errorf("existing repository touched: %+v", r)
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
				c, _ := w.comments(ev.Number)
				mustContain(t, "comment", strings.Join(c, ""), "Waiting for approval", "`/approve`", "@acme/platform")
				mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "alice", "/approve")))
				c, _ = w.comments(ev.Number)
				mustContain(t, "comment", strings.Join(c, ""), "cannot approve it")
				mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "carol", "/approve please")))
				c, _ = w.comments(ev.Number)
				mustContain(t, "comment", strings.Join(c, ""), "does not count")
				if _, ok := w.gh.repos["payments-api"]; ok {
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
				return
			}
			comments, created := w.comments(n)
			if len(comments) != 1 || created != 1 {
				t.Fatalf("want exactly one bot comment (created once), got %d (created %d): %q", len(comments), created, comments)
			}
			mustContain(t, "comment", comments[0], tc.wantComment...)
			for _, l := range tc.wantLabels {
				if !has(w.labels(n), l) {
					t.Errorf("label %s missing: %v", l, w.labels(n))
				}
			}
			for _, l := range tc.noLabels {
				if has(w.labels(n), l) {
					t.Errorf("label %s present: %v", l, w.labels(n))
				}
			}
			if got := w.closedAs(n); got != tc.wantClosed {
				t.Errorf("closed as %q, want %q", got, tc.wantClosed)
			}
			_, exists := w.gh.repos[tc.wantRepo]
			if tc.wantRepo == "" && len(w.gh.repos) != 0 {
				t.Errorf("repositories created: %v", w.gh.repos)
			} else if tc.wantRepo != "" && !exists {
				t.Errorf("repository %s missing", tc.wantRepo)
			}
		})
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCreatedRepository checks what the new repository holds (SPEC §4).
func TestCreatedRepository(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "repository:\n  visibility: internal\n  topics: [payments, goldenpath]\n")
	ev := w.open("alice", readBody(t, "go-service-valid.md"), "goldenpath", "template:go-service")
	mustNil(t, w.wf.HandleIssue(ctx, ev))

	for _, p := range []string{".github/workflows/ci.yml", "Dockerfile", "catalog-info.yaml", ".goldenpath.yml", "go.mod", "main.go"} {
		if _, ok := w.repoFile("payments-api", p); !ok {
			t.Errorf("%s missing from the first commit", p)
		}
	}
	ci, _ := w.repoFile("payments-api", ".github/workflows/ci.yml")
	mustContain(t, "ci.yml", ci, "${{")
	cat, _ := w.repoFile("payments-api", "catalog-info.yaml")
	mustContain(t, "catalog-info.yaml", cat, "name: payments-api", "owner: team-payments", "github.com/project-slug: acme/payments-api")
	af, _ := w.repoFile("payments-api", ".goldenpath.yml")
	mustContain(t, ".goldenpath.yml", af, "template: go-service", "version: 1.2.0", "source: acme/golden-paths",
		"request: https://github.com/acme/golden-paths/issues/1", "name: payments-api", "owner: team-payments", "lifecycle: production")

	r := w.gh.repos["payments-api"]
	if r.grants["team-payments"] != "maintain" {
		t.Errorf("owner team access: %v", r.grants)
	}
	if strings.Join(r.topics, ",") != "goldenpath,template-go-service,payments" {
		t.Errorf("topics %v", r.topics)
	}
	fr, ok := w.fleet.get("payments-api")
	if !ok || fr.Template != "go-service" || fr.Version != "1.2.0" || fr.DefaultBranch != "main" || fr.InstallationID != testInst || fr.Request != ev.URL {
		t.Errorf("fleet record %+v, %v", fr, ok)
	}
}

// TestIdempotency: redeliveries, concurrent deliveries, other replicas and
// a failure after creation make one repository and one comment.
func TestIdempotency(t *testing.T) {
	ctx := context.Background()
	valid := readBody(t, "go-service-valid.md")
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
			mustNil(t, w.newWorkflow().HandleIssue(ctx, ev))
		}},
		{"502 after the repository was created, then the retry", func(t *testing.T, w *world, ev IssueEvent) {
			w.gh.failOnce["CreateRepoWithFiles"] = errors.New("github answered 502: Bad Gateway")
			if err := w.wf.HandleIssue(ctx, ev); err == nil {
				t.Fatal("a 502 must be returned so the queue retries")
			}
			mustNil(t, w.newWorkflow().HandleIssue(ctx, ev))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "")
			ev := w.open("alice", valid, "goldenpath", "template:go-service")
			tc.run(t, w, ev)
			if len(w.gh.repos) != 1 {
				t.Fatalf("repositories: %d", len(w.gh.repos))
			}
			comments, created := w.comments(ev.Number)
			if len(comments) != 1 || created != 1 {
				t.Fatalf("comments %d (created %d)", len(comments), created)
			}
			mustContain(t, "comment", comments[0], "Created acme/payments-api")
			if w.closedAs(ev.Number) != "completed" || !has(w.labels(ev.Number), LabelCreated) {
				t.Errorf("issue not finished: closed %q labels %v", w.closedAs(ev.Number), w.labels(ev.Number))
			}
			if _, ok := w.fleet.get("payments-api"); !ok {
				t.Error("not recorded in the fleet index")
			}
		})
	}
}

// TestRequestBudget: one go-service request costs at most 12 GitHub
// requests and sends no write twice.
func TestRequestBudget(t *testing.T) {
	w := newWorld(t, "")
	ev := w.open("alice", readBody(t, "go-service-valid.md"), "goldenpath", "template:go-service")
	mustNil(t, w.wf.HandleIssue(context.Background(), ev))
	if n := w.requests(); n > 12 {
		t.Errorf("%d GitHub requests for one request, want at most 12:\n%s", n, strings.Join(w.gh.calls, "\n"))
	}
	seen := map[string]bool{}
	for _, wr := range w.writes() {
		if seen[wr] {
			t.Errorf("write sent twice: %s", wr)
		}
		seen[wr] = true
	}
}

func TestExplainFailureThenRetry(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "")
	ev := w.open("alice", readBody(t, "go-service-valid.md"), "goldenpath", "template:go-service")
	mustNil(t, w.wf.ExplainFailure(ctx, ev, errors.New("creating repository acme/payments-api: github answered 503")))
	c, _ := w.comments(ev.Number)
	mustContain(t, "comment", strings.Join(c, ""), "could not finish", "github answered 503", "/retry")
	mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "alice", "/retry")))
	c, created := w.comments(ev.Number)
	if len(c) != 1 || created != 1 {
		t.Fatalf("comments %d (created %d)", len(c), created)
	}
	mustContain(t, "comment", c[0], "Created acme/payments-api")
	// Comments that are no command, and commands on closed issues, do nothing.
	before := len(w.writes())
	mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "alice", "thanks!")))
	mustNil(t, w.wf.HandleComment(ctx, w.comment(ev, "alice", "/retry")))
	if len(w.writes()) != before {
		t.Errorf("writes after the request was closed: %v", w.writes()[before:])
	}
}

func TestEnsureLabels(t *testing.T) {
	w := newWorld(t, "")
	mustNil(t, w.wf.EnsureLabels(context.Background(), testInst, testOrg))
	var names []string
	for _, l := range w.gh.ensured {
		names = append(names, l.Name)
	}
	want := "goldenpath,goldenpath:needs-changes,goldenpath:created,template:broken-service,template:go-service,template:node-service"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("labels\n got %s\nwant %s", got, want)
	}
}
