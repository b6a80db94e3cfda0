package app_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/sandbox"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// hostileCase is one file of testdata/hostile: what it tries, the input
// (a raw delivery, an issue, or a template) and the outcome it must get.
type hostileCase struct {
	name     string
	What     string `yaml:"what"`
	Kind     string `yaml:"kind"` // webhook, issue or template
	Webhook  *hostileWebhook
	Issue    *hostileIssue
	Template *hostileTemplate
	Expect   hostileExpect
}

type hostileWebhook struct {
	Method, Event, Body string
	ContentType         string         `yaml:"contentType"`
	Signature           string         // valid (default), none, wrong, truncated, sha1, garbage, other-body
	Payload             string         // issue-opened: a real delivery's payload; replay: a real delivery again
	NoEventHeaders      bool           `yaml:"noEventHeaders"`
	Generate            map[string]int // size: bytes of JSON; nested: depth of arrays
}

type hostileIssue struct {
	Author   string
	Body     string
	Answers  map[string]any
	Generate map[string]int // headings: count; description: characters
}

type hostileTemplate struct {
	Manifest string
	Files    map[string]string
	Modes    map[string]string
	Generate map[string]int // files (filesReduced outside full runs); zeros: bytes
}

type hostileExpect struct {
	Status        int
	Outcome       string // needs-changes, refused, created, template-fault, failed
	Comment       []string
	CommentAnyOf  []string `yaml:"commentAnyOf"`
	NotInComment  []string `yaml:"notInComment"`
	MaxComment    int      `yaml:"maxComment"`
	Repo          string
	Files         map[string][]string
	SameAsExample []string `yaml:"sameAsExample"`
}

func loadHostileCases(t *testing.T) []*hostileCase {
	dir := filepath.Join(testenv.ModuleRoot(t), "testdata", "hostile")
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []*hostileCase
	for _, p := range names {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := &hostileCase{name: strings.TrimSuffix(filepath.Base(p), ".yaml")}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if (c.Kind == "webhook") != (c.Webhook != nil) || (c.Kind == "issue") != (c.Issue != nil) || (c.Kind == "template") != (c.Template != nil) {
			t.Fatalf("%s: kind %q does not match its input", p, c.Kind)
		}
		cases = append(cases, c)
	}
	return cases
}

// lockedBuffer collects the process's log lines for the secret scan.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestHostileCorpus runs every case of testdata/hostile through the real
// server (signature check, queue, request workflow, GitHub client) against
// the simulator: each must get its expected clear error or safe result,
// never a 5xx, a panic, a leaked secret or a repository changed that it
// should not change. GOLDENPATH_HOSTILE_FULL=1 runs the large cases at full
// size (100,000 template files instead of 10,100).
func TestHostileCorpus(t *testing.T) {
	cases := loadHostileCases(t)
	if len(cases) < 40 {
		t.Fatalf("%d hostile cases, want at least 40", len(cases))
	}
	logs := &lockedBuffer{}
	setup := time.Now()
	w := newWorld(t, store.SQLite, nil, func(o *sandbox.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Queue.MaxAttempts = 2
		o.Queue.RetryPolicy = fastRetry{}
		o.Policy.MaxRetries = 1
		o.Policy.BaseBackoff = 10 * time.Millisecond
		o.Policy.MaxBackoff = 20 * time.Millisecond
		o.ReconcileEvery = -1
		// GitHub's secondary limits, on a clock 60 times faster (the bot
		// paces its ~200 writes by them).
		o.Sim.Limits = githubsim.Limits{MinuteWindow: time.Second, HourWindow: time.Minute}
		o.Policy.Pacing = github.Pacing{MinGap: 5 * time.Millisecond,
			Windows: []github.WindowLimit{{N: 80, Per: time.Second}, {N: 500, Per: time.Minute}}}
	})
	t.Logf("the world started in %s", time.Since(setup).Round(time.Millisecond))
	t.Cleanup(func() { t.Logf("the test took %s", time.Since(setup).Round(time.Millisecond)) })
	defer func() {
		if t.Failed() {
			l := logs.String()
			t.Logf("goldenpath's log (last 8 KB):\n%s", l[max(0, len(l)-8<<10):])
		}
	}()
	byKind := map[string][]*hostileCase{}
	for _, c := range cases {
		byKind[c.Kind] = append(byKind[c.Kind], c)
	}
	h := &hostileRun{w: w, t: t}
	for _, phase := range []struct {
		kind string
		run  func([]*hostileCase)
	}{{"issue", h.issues}, {"webhook", h.webhooks}, {"template", h.templates}} {
		start := time.Now()
		phase.run(byKind[phase.kind])
		t.Logf("%d %s cases in %s", len(byKind[phase.kind]), phase.kind, time.Since(start).Round(time.Millisecond))
	}
	h.noSecrets(logs.String())
	dashboards := 0
	for _, is := range w.Sim.Issues(org, w.TemplatesRepo) {
		if has(is.Labels, "goldenpath:fleet") {
			dashboards++
		}
	}
	t.Logf("fleet dashboard issues: %d", dashboards)
	t.Logf("hostile corpus: %d cases (%d deliveries, %d issues, %d templates), every outcome as expected",
		len(cases), len(byKind["webhook"]), len(byKind["issue"]), len(byKind["template"]))
}

type hostileRun struct {
	w *world
	t *testing.T
}

// state is what a case must not change: every repository's branches, and
// every issue's state, labels and comments (but the fleet dashboard's,
// which the bot keeps up to date after the requests of the issue cases).
func (h *hostileRun) state() map[string]string {
	out := map[string]string{}
	for _, full := range h.w.Sim.Repos() {
		owner, name, _ := strings.Cut(full, "/")
		out["repo "+full] = h.w.Sim.Head(owner, name, "main")
	}
	for _, is := range h.w.Sim.Issues(org, h.w.TemplatesRepo) {
		if has(is.Labels, "goldenpath:fleet") {
			continue // the fleet dashboard, refreshed on its own schedule
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s %v", is.State, is.StateReason, is.Labels)
		for _, c := range h.w.Sim.Comments(org, h.w.TemplatesRepo, is.Number) {
			b.WriteString("|" + c.Body)
		}
		out[fmt.Sprintf("issue #%d", is.Number)] = b.String()
	}
	return out
}

func (h *hostileRun) unchanged(t *testing.T, before map[string]string, except ...string) {
	t.Helper()
	after := h.state()
	for k, v := range after {
		if before[k] != v && !slices.Contains(except, k) {
			t.Errorf("%s changed:\n%.400s\nto\n%.400s", k, before[k], v)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			t.Errorf("%s is gone", k)
		}
	}
}

// goService is the built-in go-service manifest (its form renders bodies).
func goService(t *testing.T) *template.Manifest {
	set, err := template.LoadRepo(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	return set["go-service"].Manifest
}

// issues files every issue case at once, lets the bot work them, then
// checks each outcome.
func (h *hostileRun) issues(cases []*hostileCase) {
	m := goService(h.t)
	numbers := map[*hostileCase]int{}
	for _, c := range cases {
		body := c.Issue.Body
		if body == "" {
			answers := goAnswers("payments-" + c.name)
			for k, v := range c.Issue.Answers {
				answers[k] = v
			}
			if n := c.Issue.Generate["description"]; n > 0 {
				answers["description"] = strings.Repeat("Takes card payments. ", n/21+1)[:n]
			}
			body = issueform.RenderBody(m, answers)
		}
		if n := c.Issue.Generate["headings"]; n > 0 {
			// Six characters a heading: 10,000 fit in GitHub's 65,536.
			var b strings.Builder
			b.WriteString("### [x](https://evil.example) @octocat\n")
			for i := range n - 1 {
				fmt.Fprintf(&b, "### %c\n", 'a'+i%26)
			}
			body = b.String()
		}
		author := c.Issue.Author
		if author == "" {
			author = developer
		}
		n, err := h.w.Sim.OpenIssue(org, h.w.TemplatesRepo, author, "New service: "+c.name, body, []string{"goldenpath", "template:go-service"})
		if err != nil {
			h.t.Fatalf("%s: opening the issue: %v", c.name, err)
		}
		numbers[c] = n
	}
	h.w.settle()
	for _, c := range cases {
		h.t.Run(c.name, func(t *testing.T) {
			h.outcome(t, c, numbers[c])
			if c.Expect.Outcome != "created" {
				if _, ok := h.w.Sim.Repo(org, "payments-"+c.name); ok {
					t.Errorf("a repository was created for %s", c.name)
				}
			}
		})
	}
}

// outcome checks the issue of a case against its expected outcome.
func (h *hostileRun) outcome(t *testing.T, c *hostileCase, n int) {
	t.Helper()
	e := c.Expect
	is, err := h.w.Sim.Issue(org, h.w.TemplatesRepo, n)
	if err != nil {
		t.Fatal(err)
	}
	comments := h.w.botComments(n)
	if len(comments) != 1 {
		t.Fatalf("issue #%d has %d bot comments, want 1 (%s): %+v", n, len(comments), e.Outcome, comments)
	}
	body := comments[0].Body
	for _, s := range e.Comment {
		if !strings.Contains(body, s) {
			t.Errorf("the comment does not say %q:\n%s", s, body)
		}
	}
	if len(e.CommentAnyOf) > 0 && !slices.ContainsFunc(e.CommentAnyOf, func(s string) bool { return strings.Contains(body, s) }) {
		t.Errorf("the comment says none of %q:\n%s", e.CommentAnyOf, body)
	}
	for _, s := range e.NotInComment {
		if strings.Contains(body, s) {
			t.Errorf("the comment carries %q:\n%s", s, body)
		}
	}
	if limit := e.MaxComment; limit > 0 && len([]rune(body)) > limit {
		t.Errorf("the comment has %d characters, more than %d", len([]rune(body)), limit)
	}
	switch e.Outcome {
	case "needs-changes":
		if !has(is.Labels, "goldenpath:needs-changes") || is.State != "open" {
			t.Errorf("issue is %s with labels %v, want open and needing changes", is.State, is.Labels)
		}
	case "refused", "template-fault", "failed":
		if has(is.Labels, "goldenpath:created") || is.State != "open" {
			t.Errorf("issue is %s with labels %v, want open and not created", is.State, is.Labels)
		}
	case "created":
		h.created(t, c, is)
	default:
		t.Fatalf("unknown outcome %q", e.Outcome)
	}
}

// created checks a repository made from hostile but valid answers: the
// expected text in its files, every YAML file parses and the catalog entry
// is valid, and files listed as sameAsExample are the template's own bytes.
func (h *hostileRun) created(t *testing.T, c *hostileCase, is githubsim.IssueInfo) {
	t.Helper()
	e := c.Expect
	if is.State != "closed" || is.StateReason != "completed" || !has(is.Labels, "goldenpath:created") {
		t.Errorf("issue is %s (%s) with labels %v, want closed as completed and created", is.State, is.StateReason, is.Labels)
	}
	files, err := h.w.Sim.Files(org, e.Repo, "main")
	if err != nil {
		t.Fatalf("reading %s: %v", e.Repo, err)
	}
	for p, wants := range e.Files {
		for _, s := range wants {
			if !strings.Contains(string(files[p]), s) {
				t.Errorf("%s does not hold %q:\n%s", p, s, files[p])
			}
		}
	}
	for p, data := range files {
		if ext := path.Ext(p); ext == ".yml" || ext == ".yaml" || ext == ".json" {
			var v any
			if err := yaml.Unmarshal(data, &v); err != nil {
				t.Errorf("%s does not parse: %v", p, err)
			}
		}
	}
	if err := catalog.Validate(files[catalog.FileName]); err != nil {
		t.Errorf("catalog-info.yaml: %v", err)
	}
	for _, p := range e.SameAsExample {
		want, err := fs.ReadFile(templates.FS(), "templates/go-service/skeleton/"+p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(files[p], want) {
			t.Errorf("%s differs from the template's own:\n%s", p, files[p])
		}
	}
}

// hostileManifest is the manifest of a case's template unless it gives one.
const hostileManifest = `name: {name}
title: Hostile {name}
description: A hostile template.
parameters:
  - {id: name, title: Service name, type: string, required: true, example: x}
  - {id: owner, title: Owning team, type: string, required: true, example: t}
`

// templates publishes every template case as its own template, files one
// request for each and checks that it gets a comment saying what is wrong
// with the template, and that no repository is created. The decompression
// bomb goes last, alone: its archive cannot be read, and so neither could
// any other template published with it.
func (h *hostileRun) templates(cases []*hostileCase) {
	var batch, bombs []*hostileCase
	for _, c := range cases {
		if c.Template.Generate["zeros"] > 0 {
			bombs = append(bombs, c)
			continue
		}
		batch = append(batch, c)
	}
	h.templateBatch(batch)
	for _, c := range bombs {
		h.templateBatch([]*hostileCase{c})
	}
}

func (h *hostileRun) templateBatch(cases []*hostileCase) {
	start := time.Now()
	files, modes := map[string][]byte{}, map[string]string{}
	for _, c := range cases {
		name := "hostile-" + c.name
		dir := "templates/" + name + "/"
		manifest := c.Template.Manifest
		if manifest == "" {
			manifest = hostileManifest
		}
		files[dir+template.ManifestFileName] = []byte(strings.ReplaceAll(manifest, "{name}", name))
		files[dir+template.ChangelogFileName] = []byte("# Changelog\n\n## 1.0.0\n\n- First.\n")
		for p, data := range c.Template.Files {
			files[dir+p] = []byte(data)
		}
		for p, mode := range c.Template.Modes {
			modes[dir+p] = mode
		}
		n := c.Template.Generate["files"]
		if reduced := c.Template.Generate["filesReduced"]; reduced > 0 && os.Getenv("GOLDENPATH_HOSTILE_FULL") == "" {
			n = reduced
		}
		for i := range n {
			files[fmt.Sprintf("%sskeleton/d%d/f%d.txt", dir, i%100, i)] = []byte("x")
		}
		if z := c.Template.Generate["zeros"]; z > 0 {
			files[dir+"skeleton/zeros.bin"] = make([]byte, z)
		}
	}
	sha, err := h.w.Sim.PushModes(org, h.w.TemplatesRepo, "main", files, modes, "Publish hostile templates", "platform-team")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range cases {
		if err := h.w.Sim.Tag(org, h.w.TemplatesRepo, "hostile-"+c.name+"/v1.0.0", sha); err != nil {
			h.t.Fatal(err)
		}
	}
	h.settleTemplates()
	h.t.Logf("%s: published %d hostile templates (%d files)", time.Since(start).Round(time.Millisecond), len(cases), len(files))
	numbers := map[*hostileCase]int{}
	for _, c := range cases {
		body := "### Service name\n\nsvc-" + c.name + "\n\n### Owning team\n\n" + team
		n, err := h.w.Sim.OpenIssue(org, h.w.TemplatesRepo, developer, "New service", body, []string{"goldenpath", "template:hostile-" + c.name})
		if err != nil {
			h.t.Fatal(err)
		}
		numbers[c] = n
	}
	h.settleTemplates()
	h.t.Logf("%s: requests from %d hostile templates worked", time.Since(start).Round(time.Millisecond), len(cases))
	for _, c := range cases {
		h.t.Run(c.name, func(t *testing.T) {
			// A job that failed is retried once before the request is told:
			// wait for the comment rather than for the queue.
			err := sandbox.WaitFor(t.Context(), 3*timeout, "the bot's comment", func() bool { return len(h.w.botComments(numbers[c])) > 0 })
			if err != nil {
				t.Fatal(err)
			}
			h.outcome(t, c, numbers[c])
			if _, ok := h.w.Sim.Repo(org, "svc-"+c.name); ok {
				t.Errorf("a repository was created from the hostile template")
			}
		})
	}
	// Unpublish the batch: later reads of the templates repository stay small.
	gone := map[string][]byte{}
	for p := range files {
		gone[p] = nil
	}
	if _, err := h.w.Sim.Push(org, h.w.TemplatesRepo, "main", gone, "Remove hostile templates", "platform-team"); err != nil {
		h.t.Fatal(err)
	}
	h.settleTemplates()
	h.t.Logf("%s: hostile templates checked and removed", time.Since(start).Round(time.Millisecond))
}

// settleTemplates waits for the bot to work a batch of templates: a full
// size run reads and renders archives of 100,000 files, and takes minutes.
func (h *hostileRun) settleTemplates() {
	h.t.Helper()
	limit := 3 * timeout
	if os.Getenv("GOLDENPATH_HOSTILE_FULL") != "" {
		limit = 20 * time.Minute
	}
	if err := h.w.Settle(h.w.ctx, limit); err != nil {
		h.t.Fatal(err)
	}
}

// tokenRE matches the simulator's installation tokens and any JWT.
var tokenRE = regexp.MustCompile(`ghs_[0-9a-f]{36}|eyJ[A-Za-z0-9_-]{10,}\.eyJ`)

// noSecrets scans the process's log, every comment and every created file
// for the webhook secret, the App's private key and tokens.
func (h *hostileRun) noSecrets(logs string) {
	h.t.Helper()
	var texts []string
	texts = append(texts, logs)
	for _, full := range h.w.Sim.Repos() {
		owner, name, _ := strings.Cut(full, "/")
		for _, is := range h.w.Sim.Issues(owner, name) {
			for _, c := range h.w.Sim.Comments(owner, name, is.Number) {
				texts = append(texts, c.Body)
			}
		}
		files, _ := h.w.Sim.Files(owner, name, "main")
		for _, data := range files {
			texts = append(texts, string(data))
		}
	}
	var keyLines []string
	for _, l := range strings.Split(string(h.w.Sim.AppPrivateKeyPEM()), "\n") {
		if len(l) >= 40 && !strings.HasPrefix(l, "-----") {
			keyLines = append(keyLines, l)
		}
	}
	if len(keyLines) == 0 || h.w.WebhookSecret == "" {
		h.t.Fatal("no secrets to look for")
	}
	for _, text := range texts {
		if strings.Contains(text, h.w.WebhookSecret) {
			h.t.Errorf("the webhook secret leaked")
		}
		for _, l := range keyLines {
			if strings.Contains(text, l) {
				h.t.Errorf("the App's private key leaked")
				break
			}
		}
		if m := tokenRE.FindString(text); m != "" {
			h.t.Errorf("a token leaked: %.12s…", m)
		}
		if strings.Contains(text, "panic") || strings.Contains(text, "goroutine ") {
			h.t.Errorf("a panic: %.300s", text[max(0, strings.Index(text, "panic")-100):])
		}
	}
}
