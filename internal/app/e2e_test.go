package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/goldenpath-dev/goldenpath/internal/apispec"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

const (
	org       = "acme"
	developer = "alice"
	team      = "team-payments"
	approvers = "platform"
	approver  = "pat"
	outsider  = "mallory"
	timeout   = 30 * time.Second
)

// world is one end-to-end setup: the simulator (every exchange checked
// against GitHub's OpenAPI description) and a real goldenpath process on the
// given database, with webhooks over HTTP.
type world struct {
	*sandbox.World
	t    *testing.T
	spec *apispec.Spec
	ctx  context.Context
}

func newWorld(t *testing.T, d store.Dialect, policy []byte, opts ...func(*sandbox.Options)) *world {
	t.Helper()
	spec := apispec.Load(t)
	spec.Exempt("/_codeload/")
	hooks := apispec.LoadWebhooks(t)
	ctx := t.Context()
	o := sandbox.Options{
		DatabaseURL: storetest.URL(t, d),
		Logger:      slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Org:         org,
		Handler:     spec.Middleware,
	}
	for _, f := range opts {
		f(&o)
	}
	sw, err := sandbox.Start(ctx, o)
	if err != nil {
		t.Fatalf("starting the sandbox: %v", err)
	}
	w := &world{World: sw, t: t, spec: spec, ctx: ctx}
	t.Cleanup(func() {
		if err := sw.Close(); err != nil {
			t.Errorf("stopping goldenpath: %v", err)
		}
		spec.AssertClean(t)
		recordCoverage(spec.Report().Covered(), sw.App.Events())
		checkDeliveries(t, sw.Sim, hooks)
		if v := sw.Sim.Violations(); len(v) > 0 {
			t.Errorf("the bot violated GitHub's rate limits: %+v", v)
		}
		if u := sw.Sim.UnknownRoutes(); len(u) > 0 {
			t.Errorf("the bot called routes GitHub does not have: %v", u)
		}
	})
	sw.Sim.AddOrg(org, developer, approver)
	sw.Sim.AddUser(outsider)
	sw.Sim.AddTeam(org, team, developer)
	sw.Sim.AddTeam(org, approvers, approver)
	if _, err := sw.PublishTemplates(sandbox.BuiltinTemplates(), policy, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	sw.Install()
	w.settle()
	return w
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (w *world) settle() {
	w.t.Helper()
	if err := w.Settle(w.ctx, timeout); err != nil {
		w.t.Fatal(err)
	}
}

func goAnswers(name string) map[string]any {
	return map[string]any{
		"name": name, "owner": team, "description": "Takes card payments from the checkout.",
		"system": "payments", "lifecycle": "production", "dependabot": true,
	}
}

func (w *world) request(author string, answers map[string]any) int {
	w.t.Helper()
	n, err := w.FileRequest(sandbox.BuiltinTemplates(), "go-service", author, answers)
	if err != nil {
		w.t.Fatalf("filing the request: %v", err)
	}
	w.settle()
	return n
}

func (w *world) issue(n int) githubsim.IssueInfo {
	w.t.Helper()
	is, err := w.Sim.Issue(org, w.TemplatesRepo, n)
	if err != nil {
		w.t.Fatal(err)
	}
	return is
}

func (w *world) botComments(n int) []githubsim.CommentInfo {
	var out []githubsim.CommentInfo
	for _, c := range w.Sim.Comments(org, w.TemplatesRepo, n) {
		if c.Author == w.Sim.BotLogin() {
			out = append(out, c)
		}
	}
	return out
}

// wantOneComment asserts the bot left exactly one comment and that it says
// every one of want.
func (w *world) wantOneComment(n int, want ...string) string {
	w.t.Helper()
	cs := w.botComments(n)
	if len(cs) != 1 {
		w.t.Fatalf("issue #%d has %d bot comments, want 1: %+v", n, len(cs), cs)
	}
	for _, s := range want {
		if !strings.Contains(cs[0].Body, s) {
			w.t.Errorf("the bot's comment on #%d does not say %q:\n%s", n, s, cs[0].Body)
		}
	}
	return cs[0].Body
}

func (w *world) wantNoRepo(name string) {
	w.t.Helper()
	if _, ok := w.Sim.Repo(org, name); ok {
		w.t.Errorf("repository %s/%s exists; the request must not create it", org, name)
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// wantCreated checks everything SPEC §4 and §5 promise of a created repository.
func (w *world) wantCreated(n int, name string) {
	w.t.Helper()
	t := w.t
	is := w.issue(n)
	if is.State != "closed" || is.StateReason != "completed" {
		t.Errorf("issue #%d is %s (%s), want closed as completed", n, is.State, is.StateReason)
	}
	if !has(is.Labels, "goldenpath:created") || has(is.Labels, "goldenpath:needs-changes") {
		t.Errorf("issue #%d labels %v, want goldenpath:created and not needs-changes", n, is.Labels)
	}
	w.wantOneComment(n, org+"/"+name)
	files, err := w.Sim.Files(org, name, "main")
	if err != nil {
		t.Fatalf("reading %s/%s: %v", org, name, err)
	}
	for _, p := range []string{".github/workflows/ci.yml", "Dockerfile", "catalog-info.yaml", ".goldenpath.yml", "main.go", "go.mod"} {
		if _, ok := files[p]; !ok {
			t.Errorf("%s/%s has no %s", org, name, p)
		}
	}
	recordWorkflowWrite()
	if !strings.Contains(string(files[".github/workflows/ci.yml"]), "${{") {
		t.Errorf("ci.yml lost its GitHub Actions expressions:\n%s", files[".github/workflows/ci.yml"])
	}
	var entity struct {
		Metadata struct {
			Name        string
			Annotations map[string]string
		}
		Spec struct{ Owner string }
	}
	if err := yaml.Unmarshal(files["catalog-info.yaml"], &entity); err != nil {
		t.Fatalf("catalog-info.yaml: %v", err)
	}
	if entity.Metadata.Name != name || entity.Spec.Owner != team || entity.Metadata.Annotations["github.com/project-slug"] != org+"/"+name {
		t.Errorf("catalog-info.yaml: name %q owner %q slug %q", entity.Metadata.Name, entity.Spec.Owner, entity.Metadata.Annotations["github.com/project-slug"])
	}
	af, err := template.ParseAnswersFile(files[".goldenpath.yml"])
	if err != nil {
		t.Fatalf(".goldenpath.yml: %v", err)
	}
	if af.Template != "go-service" || af.Version != "1.0.0" || af.Source != org+"/golden-paths" ||
		af.Answers["name"] != name || !strings.HasSuffix(af.Request, fmt.Sprintf("/%s/golden-paths/issues/%d", org, n)) {
		t.Errorf(".goldenpath.yml = %+v", af)
	}
	commits, err := w.Sim.Commits(org, name, "main")
	if err != nil || len(commits) != 1 {
		t.Errorf("%s/%s has %d commits (%v), want every file in one first commit", org, name, len(commits), err)
	}
	if p := w.Sim.TeamRepoPermission(org, team, org, name); p == "" {
		t.Errorf("team %s has no access to %s/%s", team, org, name)
	}
	if rec, err := w.App.Fleet.Get(w.ctx, org, name); err != nil || rec.Template != "go-service" || rec.Version != "1.0.0" {
		t.Errorf("fleet index for %s/%s = %+v, %v", org, name, rec, err)
	}
}

func eachDialect(t *testing.T, f func(t *testing.T, d store.Dialect)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) { f(t, d) })
	}
}

func TestRequestCreatesRepository(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil)
		n := w.request(developer, goAnswers("payments-api"))
		w.wantCreated(n, "payments-api")
	})
}

func TestRequestsThatCreateNothing(t *testing.T) {
	cases := []struct {
		name    string
		author  string
		answers func(a map[string]any)
		setup   func(w *world)
		want    []string
		label   string // label expected on the issue
	}{
		{
			name:    "invalid answers, every problem in one comment",
			author:  developer,
			answers: func(a map[string]any) { a["name"] = "Payments_API"; a["system"] = ""; a["lifecycle"] = "sometimes" },
			want:    []string{"Service name", "System", "Lifecycle"},
			label:   "goldenpath:needs-changes",
		},
		{
			name:   "name taken by a repository this request did not create",
			author: developer,
			setup: func(w *world) {
				if err := w.Sim.CreateRepo(org, "payments-api", githubsim.RepoOptions{}); err != nil {
					t.Fatal(err)
				}
				if _, err := w.Sim.Push(org, "payments-api", "main", map[string][]byte{"README.md": []byte("mine\n")}, "init", "bob"); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"payments-api", "already"},
		},
		{name: "author is not an org member", author: outsider, want: []string{outsider, "member"}},
		{
			name:    "owner team does not exist",
			author:  developer,
			answers: func(a map[string]any) { a["owner"] = "team-nobody" },
			want:    []string{"team-nobody"},
			label:   "goldenpath:needs-changes",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachDialect(t, func(t *testing.T, d store.Dialect) {
				w := newWorld(t, d, nil)
				if tc.setup != nil {
					tc.setup(w)
				}
				before, _ := w.Sim.Files(org, "payments-api", "main")
				a := goAnswers("payments-api")
				if tc.answers != nil {
					tc.answers(a)
				}
				n := w.request(tc.author, a)
				w.wantOneComment(n, tc.want...)
				is := w.issue(n)
				if is.State != "open" || has(is.Labels, "goldenpath:created") {
					t.Errorf("issue #%d is %s with labels %v; want open, not created", n, is.State, is.Labels)
				}
				if tc.label != "" && !has(is.Labels, tc.label) {
					t.Errorf("issue #%d labels %v, want %s", n, is.Labels, tc.label)
				}
				after, _ := w.Sim.Files(org, "payments-api", "main")
				if fmt.Sprint(before) != fmt.Sprint(after) {
					t.Errorf("the repository changed: before %d files, after %d", len(before), len(after))
				}
				if before == nil {
					w.wantNoRepo("payments-api")
				}
			})
		})
	}
}

func TestTemplateThatFailsToRender(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil)
		broken := fstest.MapFS{
			"templates/broken/template.yaml": {Data: []byte(`name: broken
title: Broken service
description: A template whose skeleton refers to an answer nobody gives.
parameters:
  - {id: name, title: Service name, type: string, required: true, example: svc}
  - {id: owner, title: Owning team, type: string, required: true, example: team-a}
`)},
			"templates/broken/skeleton/README.md": {Data: []byte("# {{ .name }}\n{{ .missing_answer }}\n")},
		}
		if _, err := w.PublishTemplates(broken, nil, "1.0.0"); err != nil {
			t.Fatal(err)
		}
		w.settle()
		n, err := w.FileRequest(broken, "broken", developer, map[string]any{"name": "svc-broken", "owner": team})
		if err != nil {
			t.Fatal(err)
		}
		w.settle()
		w.wantOneComment(n, "README.md", "missing_answer")
		w.wantNoRepo("svc-broken")
	})
}

func TestEditRechecksRequest(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil)
		bad := goAnswers("Not A Valid Name")
		n := w.request(developer, bad)
		w.wantOneComment(n, "Service name")
		w.wantNoRepo("payments-api")

		set, _ := template.LoadRepo(sandbox.BuiltinTemplates())
		body := issueform.RenderBody(set["go-service"].Manifest, goAnswers("payments-api"))
		if err := w.Sim.EditIssue(org, w.TemplatesRepo, n, developer, nil, &body); err != nil {
			t.Fatal(err)
		}
		w.settle()
		w.wantCreated(n, "payments-api") // one comment: the problem list was edited into the answer
	})
}

func TestApprovalFlow(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		policy := []byte("approval:\n  required: true\n  approvers: " + approvers + "\n")
		w := newWorld(t, d, policy)
		n := w.request(developer, goAnswers("payments-api"))
		w.wantOneComment(n, "/approve", approvers)
		w.wantNoRepo("payments-api")

		// The author cannot approve their own request, nor can a non-approver.
		for _, who := range []string{developer, outsider} {
			if _, err := w.Sim.Comment(org, w.TemplatesRepo, n, who, "/approve"); err != nil {
				t.Fatal(err)
			}
			w.settle()
			w.wantNoRepo("payments-api")
		}
		if _, err := w.Sim.Comment(org, w.TemplatesRepo, n, approver, "/approve"); err != nil {
			t.Fatal(err)
		}
		w.settle()
		w.wantCreated(n, "payments-api")
	})
}

func TestRedeliveryCreatesOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		// The batched dashboard refresh would land among the redeliveries'
		// (absent) writes; it is deferred out of this test.
		w := newWorld(t, d, nil, func(o *sandbox.Options) { o.DashboardEvery = time.Hour; o.ReconcileEvery = -1 })
		n := w.request(developer, goAnswers("payments-api"))
		w.wantCreated(n, "payments-api")
		var opened string
		for _, d := range w.Sim.Deliveries() {
			if d.Event == "issues" && d.Action == "opened" {
				opened = d.ID
			}
		}
		if opened == "" {
			t.Fatal("no issues.opened delivery in the log")
		}
		writes := w.Sim.Counts().Writes()
		// The same delivery three times more, then twice at once.
		for range 3 {
			if err := w.Sim.Redeliver(opened); err != nil {
				t.Fatal(err)
			}
			w.settle()
		}
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() { defer wg.Done(); w.Sim.Redeliver(opened) }()
		}
		wg.Wait()
		w.settle()
		w.wantCreated(n, "payments-api")
		if got := w.Sim.Counts().Writes(); got != writes {
			t.Errorf("redeliveries caused %d more writes to GitHub, want 0", got-writes)
		}
		for _, d := range w.Sim.Deliveries() {
			if d.ID == opened && d.StatusCode != http.StatusAccepted {
				t.Errorf("redelivery answered %d, want 202", d.StatusCode)
			}
		}
	})
}

func TestNewEventsForSameIssueCreateOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		// Distinct deliveries (edits, labels) racing the first one: still one
		// repository and one comment.
		w := newWorld(t, d, nil)
		n, err := w.FileRequest(sandbox.BuiltinTemplates(), "go-service", developer, goAnswers("payments-api"))
		if err != nil {
			t.Fatal(err)
		}
		title := "[new go-service] payments-api (edited)"
		if err := w.Sim.EditIssue(org, w.TemplatesRepo, n, developer, &title, nil); err != nil {
			t.Fatal(err)
		}
		if err := w.Sim.LabelIssue(org, w.TemplatesRepo, n, developer, "goldenpath"); err != nil {
			t.Fatal(err)
		}
		w.settle()
		w.wantCreated(n, "payments-api")
	})
}

func TestBadGatewayAfterRepositoryCreation(t *testing.T) {
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		w := newWorld(t, d, nil)
		w.Sim.SetFaults([]githubsim.Fault{{Method: "POST", Pattern: "/orgs/{org}/repos", Nth: 1, Kind: githubsim.AfterWrite502}})
		n := w.request(developer, goAnswers("payments-api"))
		w.wantCreated(n, "payments-api")
		if got := w.Sim.Counts().ByRoute["POST /orgs/{org}/repos"]; got > 2 {
			t.Errorf("POST /orgs/{org}/repos sent %d times", got)
		}
	})
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkDeliveries validates every webhook the simulator sent the bot — its
// headers and payload, as the bot received them — against GitHub's webhook
// description, so the bot is never tested on deliveries GitHub would not send.
func checkDeliveries(t *testing.T, sim *githubsim.Sim, hooks *apispec.Webhooks) {
	t.Helper()
	seen := map[string]bool{}
	for _, d := range sim.Deliveries() {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		req, err := sim.DeliveryRequest(context.Background(), d.ID, "http://127.0.0.1/api/github/webhooks")
		if err != nil {
			t.Errorf("rebuilding delivery %s: %v", d.ID, err)
			continue
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Fatal(err)
		}
		if err := hooks.ValidateDelivery(req.Header, body); err != nil {
			t.Errorf("delivery %s (%s.%s) does not match GitHub's webhook description: %v", d.ID, d.Event, d.Action, err)
		}
	}
	t.Logf("%d webhook deliveries checked against GitHub's webhook description", len(seen))
}

// TestInstallBeforeTemplatesRepository: an org may install the App before it
// has a templates repository. Nothing fails or retries; the first push to
// the repository brings the request labels.
func TestInstallBeforeTemplatesRepository(t *testing.T) {
	spec := apispec.Load(t)
	spec.Exempt("/_codeload/")
	sw, err := sandbox.Start(t.Context(), sandbox.Options{
		DatabaseURL: storetest.URL(t, store.SQLite),
		Logger:      slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Org:         org,
		Handler:     spec.Middleware,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sw.Close()
		spec.AssertClean(t)
	})
	sw.Sim.AddOrg(org, developer)
	sw.Install()
	if err := sw.Settle(t.Context(), timeout); err != nil {
		t.Fatal(err)
	}
	w := &world{World: sw, t: t, spec: spec, ctx: t.Context()}
	for _, outcome := range []string{"retried", "discarded"} {
		if n := metricValue(t, w, "goldenpath_jobs_total", map[string]string{"outcome": outcome}); n != 0 {
			t.Errorf("installing on an org without a templates repository: %v jobs %s", n, outcome)
		}
	}
	// The fleet dashboard (which the reconcile refreshes whenever leader
	// election settles) has nowhere to go yet: nothing to fail or retry.
	if err := sw.App.Upgrades.RefreshDashboard(t.Context(), upgrade.DashboardArgs{InstallationID: sw.Installation, Owner: org}); err != nil {
		t.Errorf("refreshing the dashboard of an org without a templates repository: %v", err)
	}
	if _, err := sw.PublishTemplates(sandbox.BuiltinTemplates(), nil, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if err := sandbox.WaitFor(t.Context(), timeout, "the request labels", func() bool {
		return has(sw.Sim.Labels(org, sw.TemplatesRepo), "template:go-service")
	}); err != nil {
		t.Error(err)
	}
}
