package request

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/goldenpath-dev/goldenpath/templates"
)

const (
	testOrg  = "acme"
	testInst = int64(42)
)

// world is one organization with a templates repository, its people and
// teams, and the workflow under test.
type world struct {
	t     *testing.T
	gh    *fakeGitHub
	fleet *memFleet
	wf    *Workflow
	n     int
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
	gh := newFake()
	for _, u := range []string{"alice", "bob", "carol"} {
		gh.members[u] = true
	}
	gh.teams["team-payments"] = []string{"alice"}
	gh.teams["platform"] = []string{"bob"}
	gh.teams["developers"] = []string{"alice", "bob"}

	tree := map[string]TreeFile{}
	err := fs.WalkDir(templates.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templates.FS(), p)
		tree[p] = TreeFile{Mode: 0o644, Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tree["templates/broken-service/template.yaml"] = TreeFile{Mode: 0o644, Data: []byte(brokenManifest)}
	tree["templates/broken-service/skeleton/README.md"] = TreeFile{Mode: 0o644, Data: []byte("# {{ .name }} by {{ .nonexistent }}\n")}
	if policyYAML != "" {
		tree[PolicyFileName] = TreeFile{Mode: 0o644, Data: []byte(policyYAML)}
	}
	old := map[string]TreeFile{}
	for k, v := range tree {
		old[k] = v
	}
	gh.trees["c2"] = tree
	gh.trees["c1"] = old
	gh.trees[""] = tree // default branch
	gh.tags = []Tag{
		{Name: "go-service/v1.0.0", SHA: "c1"},
		{Name: "go-service/v1.2.0", SHA: "c2"},
		{Name: "go-service/v2.0.0-rc.1", SHA: "c9"}, // a pre-release is never scaffolded
		{Name: "node-service/v1.0.0", SHA: "c2"},
		{Name: "broken-service/v0.1.0", SHA: "c2"},
	}
	w := &world{t: t, gh: gh, fleet: &memFleet{}}
	w.wf = w.newWorkflow()
	return w
}

// newWorkflow is another replica (or the process after a restart): same
// GitHub and database, nothing in memory.
func (w *world) newWorkflow() *Workflow {
	wf, err := New(Config{
		Client:        func(context.Context, int64) (GitHub, error) { return w.gh, nil },
		Fleet:         w.fleet,
		TemplatesRepo: DefaultTemplatesRepo,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return wf
}

func readBody(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// open files an issue the way GitHub does when a form is submitted.
func (w *world) open(author, body string, labels ...string) IssueEvent {
	w.n++
	w.gh.labels[w.n] = append([]string{}, labels...)
	return IssueEvent{
		InstallationID: testInst, Org: testOrg, Repo: DefaultTemplatesRepo, Number: w.n, Action: "opened",
		Title: "New service", Body: body, URL: fmt.Sprintf("https://github.com/%s/%s/issues/%d", testOrg, DefaultTemplatesRepo, w.n),
		Author: author, Labels: labels, State: "open", Sender: author,
	}
}

// current is the issue as a new event would show it now.
func (w *world) current(ev IssueEvent) IssueEvent {
	ev.Labels = append([]string{}, w.gh.labels[ev.Number]...)
	ev.State = "open"
	if _, ok := w.gh.closed[ev.Number]; ok {
		ev.State = "closed"
	}
	return ev
}

func (w *world) edit(ev IssueEvent, body string) IssueEvent {
	ev = w.current(ev)
	ev.Action, ev.Body, ev.BodyChanged, ev.Sender = "edited", body, true, ev.Author
	return ev
}

func (w *world) comment(ev IssueEvent, who, text string) CommentEvent {
	is := w.current(ev)
	is.Sender = who
	return CommentEvent{Issue: is, Action: "created", CommentID: 7, Comment: text, Commenter: who}
}

func (w *world) repoFile(name, path string) (string, bool) {
	r, ok := w.gh.repos[name]
	if !ok {
		return "", false
	}
	s, ok := r.files[path]
	return s, ok
}

// comments returns the bot's comments on an issue and how many it created.
func (w *world) comments(n int) ([]string, int) {
	var out []string
	for _, b := range w.gh.comments[n] {
		out = append(out, b)
	}
	sort.Strings(out)
	return out, w.gh.commentN[n]
}

func (w *world) labels(n int) []string { return w.gh.labels[n] }

func (w *world) closedAs(n int) string { return w.gh.closed[n] }

func (w *world) writes() []string { return append([]string{}, w.gh.writes...) }

func (w *world) requests() int { return len(w.gh.calls) }

// memFleet is the fleet index in memory (the SQL store is tested in internal/fleet).
type memFleet struct {
	mu    sync.Mutex
	repos map[string]FleetRepo
}

func (m *memFleet) Upsert(_ context.Context, r FleetRepo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.repos == nil {
		m.repos = map[string]FleetRepo{}
	}
	m.repos[r.Owner+"/"+r.Name] = r
	return nil
}

func (m *memFleet) get(name string) (FleetRepo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.repos[testOrg+"/"+name]
	return r, ok
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
