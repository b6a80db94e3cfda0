// Package sandbox runs goldenpath end to end on one machine: the GitHub
// simulator and a real goldenpath process (database, queue, workflows, HTTP)
// talking to each other over loopback HTTP, with signed webhooks one way and
// the real go-github/ghinstallation clients the other. `goldenpath demo` and
// the end-to-end tests both stand on it, so the demo shows what the tests
// prove.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/goldenpath-dev/goldenpath/internal/app"
	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// Options configure a sandbox. DatabaseURL is required.
type Options struct {
	DatabaseURL string
	Logger      *slog.Logger
	// Org is the organization the App is installed on (default "acme").
	Org string
	// TemplatesRepo names the templates repository (default "golden-paths").
	TemplatesRepo string
	// Sim configures the simulator; Policy the bot's GitHub middleware. The
	// zero Policy paces writes 20 ms apart: GitHub's 1 s gap would make a demo
	// crawl, and the simulator's limits are scaled by Sim.Limits anyway.
	Sim    githubsim.Options
	Policy github.Policy
	Queue  queue.Options
	// DashboardEvery batches fleet dashboard refreshes (default 1 s, the
	// shortest; production waits 30 s).
	DashboardEvery time.Duration
	// ReconcileEvery is the fleet reconcile's period (default 6 h, first run
	// at start-up once a leader is elected; negative: none).
	ReconcileEvery time.Duration
	// UpgradeHour is the window of goldenpath.yaml's prHourlyLimit (default
	// an hour), scaled like the simulator's windows.
	UpgradeHour time.Duration
	// Handler, when set, wraps the simulator's handler (the tests check every
	// exchange against GitHub's OpenAPI description there).
	Handler func(http.Handler) http.Handler
}

// World is a running sandbox.
type World struct {
	Sim           *githubsim.Sim
	App           *app.App
	Org           string
	TemplatesRepo string
	Installation  int64
	SimURL        string
	// WebhookURL and WebhookSecret are where the simulator delivers
	// webhooks and the secret it signs them with (tests post their own).
	WebhookURL    string
	WebhookSecret string
	// BotURL is goldenpath's HTTP server (webhooks, /healthz, /readyz, /metrics).
	BotURL string

	servers []*http.Server
	cancel  context.CancelFunc
	done    chan error
	closeMu sync.Once
}

// Start starts the simulator and goldenpath, installs the App on the org,
// and waits until the installation's webhook has been worked.
func Start(ctx context.Context, opts Options) (*World, error) {
	if opts.Org == "" {
		opts.Org = "acme"
	}
	if opts.TemplatesRepo == "" {
		opts.TemplatesRepo = config.DefaultTemplatesRepo
	}
	if opts.Policy.Pacing.MinGap == 0 {
		opts.Policy.Pacing.MinGap = 20 * time.Millisecond
	}
	w := &World{Org: opts.Org, TemplatesRepo: opts.TemplatesRepo, done: make(chan error, 1)}
	w.Sim = githubsim.New(opts.Sim)

	var simHandler http.Handler = w.Sim.Handler()
	if opts.Handler != nil {
		simHandler = opts.Handler(simHandler)
	}
	simURL, err := w.listen(simHandler)
	if err != nil {
		return nil, err
	}
	w.SimURL = simURL

	secret, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	cfg := config.Server{
		AppID:         w.Sim.AppID(),
		PrivateKeyPEM: w.Sim.AppPrivateKeyPEM(),
		WebhookSecret: secret,
		WebhookPath:   "/api/github/webhooks",
		GitHubAPIURL:  simURL + "/api/v3",
		DatabaseURL:   opts.DatabaseURL,
		TemplatesRepo: opts.TemplatesRepo,
		LogLevel:      slog.LevelInfo,
	}
	if opts.DashboardEvery == 0 {
		opts.DashboardEvery = time.Second
	}
	a, err := app.New(ctx, app.Options{Config: cfg, Logger: opts.Logger, GitHubPolicy: opts.Policy, Queue: opts.Queue, DashboardEvery: opts.DashboardEvery, ReconcileEvery: opts.ReconcileEvery, UpgradeHour: opts.UpgradeHour})
	if err != nil {
		w.Close()
		return nil, err
	}
	w.App = a
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("listening for goldenpath: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.cancel = cancel
	go func() { w.done <- a.Serve(runCtx, ln) }()
	w.BotURL = "http://" + ln.Addr().String()
	w.WebhookURL, w.WebhookSecret = w.BotURL+cfg.WebhookPath, secret
	w.Sim.SetWebhook(w.WebhookURL, secret)
	if err := w.waitReady(ctx, "http://"+ln.Addr().String()+"/readyz"); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// listen serves h on a loopback port and returns its base URL.
func (w *World) listen(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening for the simulator: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	w.servers = append(w.servers, srv)
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// readyClient polls /readyz; one poll never waits long.
var readyClient = &http.Client{Timeout: 2 * time.Second}

func (w *World) waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-w.done:
			return fmt.Errorf("goldenpath stopped while starting: %w", err)
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := readyClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("goldenpath was not ready within 15s (GET /readyz: %v)", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close stops goldenpath (draining its jobs) and the simulator.
func (w *World) Close() error {
	var err error
	w.closeMu.Do(func() {
		if w.cancel != nil {
			w.cancel()
			err = <-w.done
			if errors.Is(err, context.Canceled) || errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
		}
		if w.Sim != nil {
			w.Sim.SetWebhook("", "")
		}
		for _, s := range w.servers {
			s.Close()
		}
		if w.App != nil {
			w.App.Close()
		}
	})
	return err
}

// PublishTemplates seeds the templates repository: the templates of tmpl
// (shaped like a templates repository root, e.g. templates.FS()), their issue
// forms, and policy as goldenpath.yaml when non-nil; then tags every template
// at version (e.g. "1.0.0"). It returns the commit SHA.
func (w *World) PublishTemplates(tmpl fs.FS, policy []byte, version string) (string, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(tmpl, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) == ".go" {
			return err
		}
		data, err := fs.ReadFile(tmpl, p)
		files[p] = data
		return err
	})
	if err != nil {
		return "", fmt.Errorf("reading the templates: %w", err)
	}
	set, err := template.LoadRepo(tmpl)
	if err != nil {
		return "", fmt.Errorf("loading the templates: %w", err)
	}
	for name, t := range set {
		form, err := issueform.FromManifest(t.Manifest).Marshal()
		if err != nil {
			return "", fmt.Errorf("generating the form of %s: %w", name, err)
		}
		files[issueform.FormPath(name)] = form
	}
	if policy != nil {
		files[config.PolicyFile] = policy
	}
	if _, ok := w.Sim.Repo(w.Org, w.TemplatesRepo); !ok {
		if err := w.Sim.CreateRepo(w.Org, w.TemplatesRepo, githubsim.RepoOptions{Description: "Golden paths: approved templates for new services"}); err != nil {
			return "", fmt.Errorf("creating %s/%s: %w", w.Org, w.TemplatesRepo, err)
		}
	}
	sha, err := w.Sim.Push(w.Org, w.TemplatesRepo, "main", files, "Publish golden paths", "platform-team")
	if err != nil {
		return "", fmt.Errorf("pushing the templates: %w", err)
	}
	for name := range set {
		if err := w.Sim.Tag(w.Org, w.TemplatesRepo, name+"/v"+version, sha); err != nil {
			return "", fmt.Errorf("tagging %s v%s: %w", name, version, err)
		}
	}
	return sha, nil
}

// BuiltinTemplates is the embedded go-service and node-service templates.
func BuiltinTemplates() fs.FS { return templates.FS() }

// Install installs the App on the org (firing installation.created).
func (w *World) Install() int64 {
	w.Installation = w.Sim.Install(w.Org)
	return w.Installation
}

// FileRequest opens a "new service" issue as author the way GitHub files a
// submitted issue form: the form's labels and the body GitHub renders.
func (w *World) FileRequest(tmpl fs.FS, name, author string, answers map[string]any) (int, error) {
	m, err := manifest(tmpl, name)
	if err != nil {
		return 0, err
	}
	form := issueform.FromManifest(m)
	body := issueform.RenderBody(m, answers)
	title := form.Title + fmt.Sprint(answers["name"])
	return w.Sim.OpenIssue(w.Org, w.TemplatesRepo, author, title, body, form.Labels)
}

// manifest is template name's manifest in the templates tree tmpl.
func manifest(tmpl fs.FS, name string) (*template.Manifest, error) {
	set, err := template.LoadRepo(tmpl)
	if err != nil {
		return nil, err
	}
	t, ok := set[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	return t.Manifest, nil
}

// FileAdoption opens an adoption issue for template name as its adoption
// form submits it: the repositories (names or topic:<topic>) and the
// answers given for all of them.
func (w *World) FileAdoption(tmpl fs.FS, name, author string, repos []string, answers map[string]any) (int, error) {
	m, err := manifest(tmpl, name)
	if err != nil {
		return 0, err
	}
	form, err := issueform.AdoptFromManifest(m)
	if err != nil {
		return 0, err
	}
	body := issueform.RenderAdoptionBody(m, repos, answers)
	return w.Sim.OpenIssue(w.Org, w.TemplatesRepo, author, form.Title+strings.Join(repos, ", "), body, form.Labels)
}

// WaitFor polls cond until it holds or the timeout passes.
func WaitFor(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: not done within %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
	return nil
}

// Settle waits until the simulator has sent every webhook and goldenpath has
// no job waiting or running, three polls in a row (a job may fire new
// webhooks). Jobs scheduled for later (a batched dashboard refresh, a
// retry's backoff) are not waited for: River promotes them every few
// seconds, so a test that needs one waits for its effect with WaitFor.
func (w *World) Settle(ctx context.Context, timeout time.Duration) error {
	quiet := 0
	return WaitFor(ctx, timeout, "goldenpath to finish its jobs", func() bool {
		w.Sim.WaitDeliveries()
		jobs, err := w.App.Queue.Jobs(ctx, river.NewJobListParams().
			States(rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStatePending).First(1))
		if err != nil || len(jobs) > 0 {
			quiet = 0
			return false
		}
		quiet++
		return quiet >= 3
	})
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a webhook secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// PublishVersion publishes a new version of one template the way a
// maintainer does: it changes files under templates/<name>/ on the templates
// repository's main branch (a nil value deletes), adds a `## <version>`
// section with notes to the top of its CHANGELOG.md, pushes as author, and
// tags `<name>/v<version>`. It returns the commit SHA.
func (w *World) PublishVersion(name, version, notes, author string, changes map[string][]byte) (string, error) {
	current, err := w.Sim.Files(w.Org, w.TemplatesRepo, "main")
	if err != nil {
		return "", fmt.Errorf("reading %s/%s: %w", w.Org, w.TemplatesRepo, err)
	}
	dir := path.Join(templates.Dir, name)
	files := map[string][]byte{}
	for p, data := range changes {
		files[path.Join(dir, p)] = data
	}
	changelog := path.Join(dir, template.ChangelogFileName)
	files[changelog] = insertChangelogSection(current[changelog], version, notes)
	sha, err := w.Sim.Push(w.Org, w.TemplatesRepo, "main", files, "Release "+name+" v"+version, author)
	if err != nil {
		return "", fmt.Errorf("pushing %s v%s: %w", name, version, err)
	}
	if err := w.Sim.Tag(w.Org, w.TemplatesRepo, name+"/v"+version, sha); err != nil {
		return "", fmt.Errorf("tagging %s v%s: %w", name, version, err)
	}
	return sha, nil
}

// insertChangelogSection puts a new version's section before the first
// existing `## ` section (after the file's preamble).
func insertChangelogSection(changelog []byte, version, notes string) []byte {
	section := "## " + version + "\n\n" + strings.TrimSpace(notes) + "\n\n"
	text := string(changelog)
	if i := strings.Index(text, "\n## "); i >= 0 {
		return []byte(text[:i+1] + section + text[i+1:])
	}
	return []byte(text + "\n" + section)
}
