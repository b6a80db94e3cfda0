// Package upgrade is the rollout workflow: a template version tagged in an
// organisation's templates repository becomes, for every repository of the
// fleet on an older version, one upgrade pull request kept Renovate-style
// (one branch per template, one commit on the default branch's head, the
// same pull request updated by newer versions, a person's commits never
// force-pushed over), plus the fleet dashboard issue.
package upgrade

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/fleetscan"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/keylock"
	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

type mergeEntry = merge.FileEntry

// Extra fleet PR states beside fleet.PROpen and friends.
const (
	PRFailed = "failed" // the last attempt failed for good; LastError says why
)

// Config holds the workflow's dependencies.
type Config struct {
	// Client returns the GitHub client of an installation.
	Client func(ctx context.Context, installationID int64) (GitHub, error)
	Fleet  Fleet
	Queue  Enqueuer
	// Installations lists the App's installations for the periodic
	// reconcile (github.App.Installations); nil: reconcile does nothing.
	Installations func(ctx context.Context) ([]github.InstallationInfo, error)
	// Templates reads the templates repositories (one per process, shared
	// with the request workflow; nil: a Source of the workflow's own).
	Templates *templatesrc.Source
	// TemplatesRepo is the templates repository's name in each account.
	TemplatesRepo string
	// BotLogin is the App's account ("<slug>[bot]"): commits by it on an
	// upgrade branch are the bot's own. Empty: any "[bot]" account.
	BotLogin string
	Logger   *slog.Logger
	// Registerer receives the workflow's metrics (nil: none).
	Registerer prometheus.Registerer
	// SnoozeConcurrent is how long a job over prConcurrentLimit waits
	// before it looks again (default 15 minutes).
	SnoozeConcurrent time.Duration
	// Hour is the window of prHourlyLimit (default an hour; shrunk in tests).
	Hour time.Duration
	// SlotTTL is how long a slot reserved under the limits counts when the
	// job that took it neither opened its pull request nor gave the slot
	// back (a replica died, or the create call's outcome is unknown).
	// Default 15 minutes: longer than a job may run (the queue's JobTimeout,
	// 10 minutes by default).
	SlotTTL time.Duration
	Now     func() time.Time
	// Scanner reads each fleet repository's ownership and drift for the
	// dashboard (nil: neither is read).
	Scanner *fleetscan.Scanner
	// DashboardSections add other workflows' Markdown to an account's
	// fleet dashboard, after the fleet (adoption progress).
	DashboardSections []func(ctx context.Context, owner string) (string, error)
	// RenderTimeout bounds a render (template.DefaultRenderTimeout when
	// zero); a render also stops with its job's context.
	RenderTimeout time.Duration
	// Locks serialises work per repository and per dashboard; the app
	// shares one across its workflows, backed by the database so replicas
	// take turns too (nil: a Map of this workflow's own, in this process).
	Locks *keylock.Map
}

// Workflow runs upgrades. Safe for concurrent use.
type Workflow struct {
	cfg       Config
	templates *templatesrc.Source
	metrics   *metrics

	mu       sync.Mutex
	botLogin string
	labeled  map[string]bool // templates repos whose labels exist
}

// New checks cfg and returns a Workflow.
func New(cfg Config) (*Workflow, error) {
	if cfg.Client == nil || cfg.Fleet == nil || cfg.Queue == nil {
		return nil, errors.New("upgrade workflow: Config.Client, Fleet and Queue are required")
	}
	if cfg.TemplatesRepo == "" {
		cfg.TemplatesRepo = config.DefaultTemplatesRepo
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SnoozeConcurrent <= 0 {
		cfg.SnoozeConcurrent = 15 * time.Minute
	}
	if cfg.Hour <= 0 {
		cfg.Hour = time.Hour
	}
	if cfg.SlotTTL <= 0 {
		cfg.SlotTTL = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	if cfg.Templates == nil {
		cfg.Templates = templatesrc.New(templatesrc.Options{Logger: cfg.Logger, Now: cfg.Now})
	}
	if cfg.Locks == nil {
		cfg.Locks = &keylock.Map{}
	}
	return &Workflow{cfg: cfg, templates: cfg.Templates, metrics: m, botLogin: cfg.BotLogin,
		labeled: map[string]bool{}}, nil
}

func mustVersion(s string) *semver.Version {
	v, err := semver.NewVersion(s)
	if err != nil {
		return semver.MustParse("0.0.0")
	}
	return v
}

func parseVersion(s string) (*semver.Version, bool) {
	v, err := semver.NewVersion(s)
	return v, err == nil
}

// olderThan reports whether version s is older than v (an unreadable s is
// older: the upgrade will find out what the repository really holds).
func olderThan(s string, v *semver.Version) bool {
	cur, ok := parseVersion(s)
	return !ok || cur.LessThan(v)
}

// HandleTagPush starts the rollout of tag (<template>/vX.Y.Z, a push of the
// tag or a published release) from org's templates repository: one job per
// fleet repository of that template, in that account, on an older version.
// Prereleases are never rolled out. sha is the tagged commit if known.
func (w *Workflow) HandleTagPush(ctx context.Context, installationID int64, org, templatesRepo, tag, sha string) error {
	name, v, ok := template.ParseTag(tag)
	if !ok {
		return nil // not a template version tag
	}
	tag = template.Tag(name, v)
	log := w.cfg.Logger.With(slog.String("tag", tag), slog.String("org", org))
	if v.Prerelease() != "" {
		log.Info("prerelease tag: not rolled out")
		return nil
	}
	if !strings.EqualFold(templatesRepo, w.cfg.TemplatesRepo) {
		return nil
	}
	repos, err := w.cfg.Fleet.ListByTemplate(ctx, name)
	if err != nil {
		return fmt.Errorf("rolling out %s: %w", tag, err)
	}
	var targets []fleet.Repo
	for _, r := range repos {
		if strings.EqualFold(r.Owner, org) && olderThan(r.Version, v) {
			targets = append(targets, r)
		}
	}
	if len(targets) == 0 {
		log.Info("no repository to upgrade")
		return w.cfg.Queue.EnqueueDashboard(ctx, DashboardArgs{InstallationID: installationID, Owner: org, TemplatesRepo: templatesRepo})
	}
	pol, err := w.policy(ctx, installationID, org, templatesRepo, tag)
	if err != nil {
		return fmt.Errorf("rolling out %s: %w", tag, err)
	}
	jobs := make([]RepoArgs, 0, len(targets))
	for _, r := range targets {
		inst := r.InstallationID
		if inst == 0 {
			inst = installationID
		}
		jobs = append(jobs, RepoArgs{InstallationID: inst, Owner: r.Owner, Repo: r.Name, Tag: tag, TagSHA: sha,
			TemplatesOwner: org, TemplatesRepo: templatesRepo, Cause: "tag",
			PRHourlyLimit: pol.Upgrades.PRHourlyLimit, PRConcurrentLimit: pol.Upgrades.PRConcurrentLimit})
	}
	log.Info("rolling out", slog.Int("repositories", len(jobs)))
	w.metrics.rollouts.Inc()
	w.metrics.queued.Add(float64(len(jobs)))
	if err := w.cfg.Queue.EnqueueUpgrades(ctx, jobs); err != nil {
		return fmt.Errorf("rolling out %s: %w", tag, err)
	}
	return nil
}

// policy reads goldenpath.yaml at the templates repository's ref (the
// tag, so the rollout uses the policy published with it).
func (w *Workflow) policy(ctx context.Context, installationID int64, org, repo, ref string) (config.Policy, error) {
	gh, err := w.cfg.Client(ctx, installationID)
	if err != nil {
		return config.Policy{}, err
	}
	p, err := w.templates.Repo(gh, org, repo).Policy(ctx, ref)
	var broken *templatesrc.BrokenPolicyError
	if errors.As(err, &broken) {
		// A broken policy must not stop upgrades: GitHub's own limits apply.
		w.cfg.Logger.Warn("ignoring the upgrade limits of a broken policy", slog.Any("error", err))
		return config.DefaultPolicy(), nil
	}
	return p, err
}

func (w *Workflow) isBot(login string) bool {
	w.mu.Lock()
	bot := w.botLogin
	w.mu.Unlock()
	if bot != "" {
		return strings.EqualFold(login, bot)
	}
	return strings.HasSuffix(login, "[bot]")
}

// SetBotLogin names the App's account ("<slug>[bot]") once it is known
// (GET /app at start-up answers the slug).
func (w *Workflow) SetBotLogin(login string) {
	w.mu.Lock()
	w.botLogin = login
	w.mu.Unlock()
}
