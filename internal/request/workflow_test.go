package request

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
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

// TestLabelsCreatedOnce: jobs that ensure the labels at once (an
// installation, pushes to the templates repository) create a missing label
// with one request, not one each answered 422; later ones within labelTTL
// send no label request at all.
func TestLabelsCreatedOnce(t *testing.T) {
	w := newWorld(t, "")
	sha := w.sim.Head(testOrg, templRepo, "main")
	mustNil(t, w.sim.Tag(testOrg, templRepo, "extra-service/v1.0.0", sha))
	// Creating a label is slow, as on a loaded GitHub: every job has read
	// the list before the first creation is done.
	w.sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/repos/{owner}/{repo}/labels", Rate: 1, Kind: githubsim.Slow, Delay: 300 * time.Millisecond}})
	w.sim.ResetCounts()
	const jobs = 8
	errs := make([]error, jobs)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() { errs[i] = w.wf.EnsureLabels(context.Background(), w.inst, testOrg) })
	}
	wg.Wait()
	mustNil(t, errors.Join(errs...))
	w.sim.SetFaults(nil)
	c := w.sim.Counts()
	if n := c.ByRoute["POST /repos/{owner}/{repo}/labels"]; n != 1 {
		t.Errorf("%d concurrent jobs sent %d label creations, want 1: %v", jobs, n, c.ByRoute)
	}
	if !has(w.sim.Labels(testOrg, templRepo), "template:extra-service") {
		t.Errorf("label template:extra-service missing: %v", w.sim.Labels(testOrg, templRepo))
	}
	w.sim.ResetCounts()
	mustNil(t, w.wf.EnsureLabels(context.Background(), w.inst, testOrg))
	for route, n := range w.sim.Counts().ByRoute {
		if strings.HasSuffix(route, "/labels") {
			t.Errorf("a later push sent %d %s", n, route)
		}
	}
}
