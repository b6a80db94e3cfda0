// Package app assembles one goldenpath process: the database, the durable
// queue, the fleet index, the GitHub App clients, the workflows and the HTTP
// server. `goldenpath serve`, `goldenpath demo` and the end-to-end tests all
// build the process here, so what the tests prove is what production runs.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/goldenpath-dev/goldenpath/internal/adoption"
	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/fleetscan"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/keylock"
	"github.com/goldenpath-dev/goldenpath/internal/ownership"
	"github.com/goldenpath-dev/goldenpath/internal/queue"
	"github.com/goldenpath-dev/goldenpath/internal/request"
	"github.com/goldenpath-dev/goldenpath/internal/server"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade/upgradejobs"
	"github.com/goldenpath-dev/goldenpath/internal/webhook"
)

// Options configure one process. Config is required; the rest have defaults.
type Options struct {
	Config config.Server
	Logger *slog.Logger
	// GitHubTransport carries every request to GitHub (default
	// http.DefaultTransport). The demo and the tests hand it the simulator.
	GitHubTransport http.RoundTripper
	// GitHubPolicy bounds timeouts, retries and write pacing (zero: GitHub's
	// published limits).
	GitHubPolicy github.Policy
	// Queue tunes the job queue; its Logger and Registerer are set here.
	Queue queue.Options
	// DashboardEvery batches fleet dashboard refreshes (default: the
	// upgrade jobs' own); ReconcileEvery is the period of the fleet
	// reconcile (default 6 hours; negative: none, for tests that count
	// requests and must not meet a reconcile started by leader election).
	DashboardEvery time.Duration
	ReconcileEvery time.Duration
	// UpgradeHour is the window of prHourlyLimit (default an hour; scaled
	// down by tests and simulations, like the simulator's own windows).
	UpgradeHour time.Duration
	// AdoptionCommentEvery batches the rewrites of an adoption issue's
	// comment (default 2s).
	AdoptionCommentEvery time.Duration
}

// App is one assembled goldenpath process.
type App struct {
	Config   config.Server
	Log      *slog.Logger
	Registry *prometheus.Registry
	DB       *store.DB
	Queue    *queue.Queue
	Fleet    *fleet.Index
	GitHub   *github.App
	Requests *request.Workflow
	Upgrades *upgrade.Workflow
	// Ownership keeps answers and owner teams true (SPEC §7).
	Ownership *ownership.Workflow
	// Adoptions brings existing repositories onto golden paths (SPEC §6).
	Adoptions *adoption.Workflow
	Server    *server.Server

	routing queue.Routing
	// locks serialises the workflows' work per key, across replicas on
	// PostgreSQL.
	locks *keylock.Map
}

// New opens the database (running migrations) and wires every part. It starts
// nothing: call Start, or Run.
func New(ctx context.Context, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewJSONHandler(nopWriter{}, nil))
	}
	cfg := opts.Config
	switch {
	case opts.ReconcileEvery == 0:
		opts.ReconcileEvery = 6 * time.Hour
	case opts.ReconcileEvery < 0:
		opts.ReconcileEvery = 0 // no periodic reconcile
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	a := &App{Config: cfg, Log: log, Registry: reg, DB: db, locks: &keylock.Map{Across: db.KeyLock}}
	fail := func(err error) (*App, error) {
		a.DB.Close()
		return nil, err
	}

	qopts := opts.Queue
	qopts.Logger = log
	qopts.Registerer = reg
	if a.Queue, err = queue.Open(ctx, db, qopts); err != nil {
		return fail(fmt.Errorf("opening the job queue: %w", err))
	}
	if a.Fleet, err = fleet.Open(ctx, db); err != nil {
		return fail(fmt.Errorf("opening the fleet index: %w", err))
	}
	reg.MustRegister(fleet.NewCollector(a.Fleet, log))
	a.GitHub, err = github.NewApp(github.AppConfig{
		AppID:         cfg.AppID,
		PrivateKeyPEM: cfg.PrivateKeyPEM,
		BaseURL:       cfg.GitHubAPIURL,
		Logger:        log,
		Metrics:       github.NewMetrics(reg),
		Transport:     opts.GitHubTransport,
		Policy:        opts.GitHubPolicy,
	})
	if err != nil {
		return fail(fmt.Errorf("setting up the GitHub App client: %w", err))
	}
	// One reader of the templates repositories for both workflows: its
	// memory and the database cache are shared.
	templates := templatesrc.New(templatesrc.Options{Shared: templatesrc.NewDBCache(db), Logger: log})
	upgradeJobs := &upgradejobs.Enqueuer{Q: a.Queue, DashboardEvery: opts.DashboardEvery}
	a.Upgrades, err = upgrade.New(upgrade.Config{
		Client:        a.upgradeClient,
		Fleet:         a.Fleet,
		Queue:         upgradeJobs,
		Installations: a.GitHub.Installations,
		Templates:     templates,
		TemplatesRepo: cfg.TemplatesRepo,
		Logger:        log,
		Registerer:    reg,
		Scanner:       &fleetscan.Scanner{Fleet: a.Fleet, Templates: templates},
		Hour:          opts.UpgradeHour,
		RenderTimeout: cfg.RenderTimeout,
		// Adoption progress on the fleet dashboard.
		DashboardSections: []func(context.Context, string) (string, error){a.adoptionSection},
		Locks:             a.locks,
	})
	if err != nil {
		return fail(fmt.Errorf("setting up the upgrade workflow: %w", err))
	}
	if a.Ownership, err = a.newOwnership(templates, upgradeJobs); err != nil {
		return fail(err)
	}
	if err := upgradejobs.Register(a.Queue, a.Upgrades, opts.ReconcileEvery); err != nil {
		return fail(fmt.Errorf("registering the upgrade jobs: %w", err))
	}
	if err := a.newAdoptionsAndRequests(ctx, templates, opts); err != nil {
		return fail(err)
	}
	if err := a.route(); err != nil {
		return fail(fmt.Errorf("routing webhook events: %w", err))
	}
	hook, err := webhook.New(cfg.WebhookSecret, a.Events(), a.Queue, log, webhook.WithRelevant(relevance(a.Requests.IsTemplatesRepo)))
	if err != nil {
		return fail(fmt.Errorf("setting up the webhook handler: %w", err))
	}
	if err := hook.RegisterMetrics(reg); err != nil {
		return fail(err)
	}
	a.Server, err = server.New(server.Options{
		WebhookPath: cfg.WebhookPath,
		Webhook:     hook,
		DB:          db,
		Metrics:     reg,
		Queue:       a.Queue,
		Logger:      log,
	})
	if err != nil {
		return fail(fmt.Errorf("setting up the HTTP server: %w", err))
	}
	return a, nil
}

func (a *App) upgradeClient(_ context.Context, installationID int64) (upgrade.GitHub, error) {
	return a.GitHub.Installation(installationID), nil
}

// newOwnership wires the ownership workflow: its pull requests are the
// upgrade workflow's jobs.
func (a *App) newOwnership(templates *templatesrc.Source, upgrades upgrade.Enqueuer) (*ownership.Workflow, error) {
	w, err := ownership.New(ownership.Config{
		Client:        a.ownershipClient,
		Fleet:         a.Fleet,
		Upgrades:      upgrades,
		Templates:     templates,
		TemplatesRepo: a.Config.TemplatesRepo,
		Logger:        a.Log,
	})
	if err != nil {
		return nil, fmt.Errorf("setting up the ownership workflow: %w", err)
	}
	return w, nil
}

func (a *App) ownershipClient(_ context.Context, installationID int64) (ownership.GitHub, error) {
	return a.GitHub.Installation(installationID), nil
}

func (a *App) requestClient(_ context.Context, installationID int64) (request.GitHub, error) {
	return a.GitHub.Installation(installationID), nil
}

// Start checks the App's credentials with GitHub (GET /app), failing fast on a
// wrong key or id, then starts the job workers.
func (a *App) Start(ctx context.Context) error {
	checkCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	info, err := a.GitHub.CheckCredentials(checkCtx)
	if err != nil {
		return fmt.Errorf("%w (check APP_ID and the private key, and that GITHUB_API_URL is %s)", err, a.Config.GitHubAPIURL)
	}
	a.Log.Info("authenticated as GitHub App", "app", info.Slug, "app_id", a.Config.AppID)
	// Commits by the App's own account on an upgrade branch are the bot's;
	// anyone else's stop the bot from rewriting it.
	a.Upgrades.SetBotLogin(info.Slug + "[bot]")
	if err := a.Queue.Start(ctx); err != nil {
		return fmt.Errorf("starting the job workers: %w", err)
	}
	return nil
}

// Run starts the workers and serves HTTP on the configured address until ctx
// is cancelled, then drains HTTP and the in-flight jobs.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		return err
	}
	return a.Server.Run(ctx, a.Config.Addr())
}

// Serve is Run on a listener the caller opened (tests, the demo).
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if err := a.Start(ctx); err != nil {
		return err
	}
	return a.Server.Serve(ctx, ln)
}

// Close releases the database. Call it after Run or Serve returned.
func (a *App) Close() error {
	if a.DB == nil {
		return nil
	}
	if a.Queue != nil {
		a.Queue.Close()
	}
	return a.DB.Close()
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
