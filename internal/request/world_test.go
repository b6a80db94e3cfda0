package request

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/simworld"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
	"github.com/goldenpath-dev/goldenpath/templates"
)

const (
	testOrg   = simworld.Org
	templRepo = config.DefaultTemplatesRepo
)

// world is one organization on the GitHub simulator, with a templates
// repository, people and teams, the real GitHub client over HTTP and the
// workflow under test.
type world struct {
	t     *testing.T
	sim   *githubsim.Sim
	app   *github.App
	inst  int64
	fleet *fleet.Index
	sw    *simworld.World
	// shared is the database cache of the templates repository all
	// replicas share.
	shared *templatesrc.DBCache
	wf     *Workflow

	mu     sync.Mutex
	offset time.Duration // the workflow's clock runs ahead of the simulator's by this
}

// brokenManifest is a template whose skeleton names an answer that does not exist.
const brokenManifest = `name: broken-service
title: Broken service
parameters:
  - id: name
    title: Service name
    type: string
    required: true
    example: demo
  - id: owner
    title: Owning team
    type: string
    required: true
    example: team-demo
`

func newWorld(t *testing.T, policyYAML string) *world {
	t.Helper()
	sw := simworld.New(t, simworld.Options{Members: []string{"alice", "bob", "carol"}, PrivateTemplates: true, Policy: testPolicy(), Logger: discard()})
	sim := sw.Sim
	sim.AddUser("mallory")
	sim.AddTeam(testOrg, "team-payments", "alice")
	sim.AddTeam(testOrg, "platform", "bob")
	sim.AddTeam(testOrg, "developers", "alice", "bob")
	inst := sw.Installation
	files := map[string][]byte{}
	err := fs.WalkDir(templates.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files[p], err = fs.ReadFile(templates.FS(), p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := sim.Push(testOrg, templRepo, "main", files, "Add the golden paths", "bob")
	if err != nil {
		t.Fatal(err)
	}
	more := map[string][]byte{
		"templates/broken-service/template.yaml":      []byte(brokenManifest),
		"templates/broken-service/skeleton/README.md": []byte("# {{ .name }} by {{ .nonexistent }}\n"),
		"templates/go-service/CHANGELOG.md":           []byte("# Changelog\n\n## 1.2.0\n\n- Newer.\n"),
	}
	if policyYAML != "" {
		more[PolicyFileName] = []byte(policyYAML)
	}
	v2, err := sim.Push(testOrg, templRepo, "main", more, "Publish 1.2.0", "bob")
	if err != nil {
		t.Fatal(err)
	}
	v3, err := sim.Push(testOrg, templRepo, "main", map[string][]byte{"templates/go-service/template.yaml": []byte("not: [a manifest")}, "WIP 2.0", "bob")
	if err != nil {
		t.Fatal(err)
	}
	for tag, sha := range map[string]string{
		"go-service/v1.0.0": v1, "go-service/v1.2.0": v2, "node-service/v1.0.0": v1, "broken-service/v0.1.0": v2,
		"go-service/v2.0.0-rc.1": v3, // a pre-release is never scaffolded
	} {
		if err := sim.Tag(testOrg, templRepo, tag, sha); err != nil {
			t.Fatal(err)
		}
	}

	w := &world{t: t, sw: sw, sim: sim, inst: inst, fleet: sw.Fleet, shared: templatesrc.NewDBCache(sw.DB)}
	w.app = w.newApp()
	w.wf = w.newWorkflow()
	// As on installation: the labels the forms carry exist before anyone files one.
	if err := w.wf.EnsureLabels(context.Background(), inst, testOrg); err != nil {
		t.Fatal(err)
	}
	sim.WaitDeliveries()
	sim.ResetCounts()
	return w
}

// newApp is the GitHub App clients of one process: its tree cache starts empty.
func (w *world) newApp() *github.App { return w.sw.NewApp() }

// testPolicy retries at once: the simulator answers in microseconds.
func testPolicy() github.Policy {
	return github.Policy{
		BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, EventualBackoff: time.Millisecond,
		Pacing: github.Pacing{MinGap: time.Microsecond},
	}
}

// replica is another process on the same GitHub: its own App clients and
// workflow with nothing in memory, sharing the given cache (nil: none).
func (w *world) replica(shared templatesrc.Shared) *Workflow {
	wf, err := New(Config{
		Client:        Clients(w.newApp()),
		Fleet:         w.fleet,
		Shared:        shared,
		TemplatesRepo: config.DefaultTemplatesRepo,
		Logger:        discard(),
		Now:           w.now,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return wf
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newWorkflow is another replica, or the process after a restart: same
// GitHub and database, nothing in memory.
func (w *world) newWorkflow() *Workflow {
	wf, err := New(Config{
		Client:        Clients(w.app),
		Fleet:         w.fleet,
		Shared:        w.shared,
		TemplatesRepo: config.DefaultTemplatesRepo,
		Logger:        discard(),
		Now:           w.now,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return wf
}

func (w *world) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Now().Add(w.offset)
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.offset += d
}

func readBody(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// delivery returns the payload of the newest delivery of event.action about issue n.
func (w *world) delivery(event, action string, n int) []byte {
	w.t.Helper()
	w.sim.WaitDeliveries()
	ds := w.sim.Deliveries()
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		if d.Event != event || d.Action != action {
			continue
		}
		if ev, err := DecodeIssueEvent(d.Payload); err == nil && ev.Number == n {
			return d.Payload
		}
	}
	w.t.Fatalf("no %s.%s delivery for issue #%d", event, action, n)
	return nil
}

func (w *world) issueEvent(action string, n int) IssueEvent {
	w.t.Helper()
	ev, err := DecodeIssueEvent(w.delivery("issues", action, n))
	if err != nil {
		w.t.Fatal(err)
	}
	return ev
}

// open files an issue the way GitHub does when a form is submitted (labels
// that do not exist are dropped) and returns the issues.opened event.
func (w *world) open(author, body string, labels ...string) IssueEvent {
	w.t.Helper()
	n, err := w.sim.OpenIssue(testOrg, templRepo, author, "New service", body, labels)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.issueEvent("opened", n)
}

func (w *world) edit(ev IssueEvent, body string) IssueEvent {
	w.t.Helper()
	if err := w.sim.EditIssue(testOrg, templRepo, ev.Number, ev.Author, nil, &body); err != nil {
		w.t.Fatal(err)
	}
	return w.issueEvent("edited", ev.Number)
}

func (w *world) comment(ev IssueEvent, who, text string) CommentEvent {
	w.t.Helper()
	if _, err := w.sim.Comment(testOrg, templRepo, ev.Number, who, text); err != nil {
		w.t.Fatal(err)
	}
	ce, err := DecodeCommentEvent(w.delivery("issue_comment", "created", ev.Number))
	if err != nil {
		w.t.Fatal(err)
	}
	return ce
}

func (w *world) repoFile(name, path string) (string, bool) {
	files, err := w.sim.Files(testOrg, name, "")
	if err != nil {
		return "", false
	}
	b, ok := files[path]
	return string(b), ok
}

func (w *world) repos() []string {
	var out []string
	for _, r := range w.sim.Repos() {
		if r != testOrg+"/"+templRepo {
			out = append(out, r)
		}
	}
	return out
}

// botComments returns the bot's comments on issue n.
func (w *world) botComments(n int) []string {
	var out []string
	for _, c := range w.sim.Comments(testOrg, templRepo, n) {
		if c.Author == w.sim.BotLogin() {
			out = append(out, c.Body)
		}
	}
	return out
}

func (w *world) issue(n int) githubsim.IssueInfo {
	w.t.Helper()
	is, err := w.sim.Issue(testOrg, templRepo, n)
	if err != nil {
		w.t.Fatal(err)
	}
	return is
}

// requests counts GitHub requests since the last reset, without token creation.
func (w *world) requests() (int, map[string]int) {
	c := w.sim.Counts()
	n := 0
	routes := map[string]int{}
	for route, k := range c.ByRoute {
		if strings.Contains(route, "/access_tokens") {
			continue
		}
		n += k
		routes[route] = k
	}
	return n, routes
}

// fleetRepo reads the fleet index (SQLite, as the server's default).
func (w *world) fleetRepo(name string) (fleet.Repo, bool) {
	r, err := w.fleet.Get(context.Background(), testOrg, name)
	if err != nil {
		return fleet.Repo{}, false
	}
	return r, true
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
