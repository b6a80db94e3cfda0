package request

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/keylock"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// Config holds the workflow's dependencies.
type Config struct {
	// Client returns the GitHub client of an installation (cached by the caller).
	Client func(ctx context.Context, installationID int64) (GitHub, error)
	// Fleet records created repositories for template upgrades.
	Fleet Fleet
	// Templates reads the templates repositories (one per process, shared
	// with the upgrade workflow). Nil: a Source of the workflow's own on
	// Shared.
	Templates *templatesrc.Source
	// Shared, when Templates is nil, is the cache of the templates
	// repository that all replicas share: a replica with nothing in memory
	// reads the tags and the template archive there instead of from GitHub.
	Shared templatesrc.Shared
	// TemplatesRepo is the templates repository's name in each account.
	TemplatesRepo string
	// Adopter works adoption requests once they pass the request policy
	// (nil: adoption issues are not recognised).
	Adopter Adopter
	Logger  *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// RenderTimeout bounds a render (template.DefaultRenderTimeout when zero).
	RenderTimeout time.Duration
	// Locks serialises work per issue and per repository; the app shares
	// one across its workflows, backed by the database so replicas take
	// turns too (nil: a Map of this workflow's own, in this process only).
	Locks *keylock.Map
}

// Workflow runs requests. It is safe for concurrent use; one issue is worked
// by one goroutine at a time in this process.
type Workflow struct {
	cfg    Config
	labels labelWriter

	mu   sync.Mutex
	done map[string]time.Time // issue URL → when this process finished it
}

// New checks cfg and returns a Workflow.
func New(cfg Config) (*Workflow, error) {
	if cfg.Client == nil {
		return nil, errors.New("request workflow: Config.Client is required")
	}
	if cfg.Fleet == nil {
		return nil, errors.New("request workflow: Config.Fleet is required")
	}
	if cfg.TemplatesRepo == "" {
		cfg.TemplatesRepo = config.DefaultTemplatesRepo
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Templates == nil {
		cfg.Templates = templatesrc.New(templatesrc.Options{Shared: cfg.Shared, Logger: cfg.Logger, Now: cfg.Now})
	}
	if cfg.Locks == nil {
		cfg.Locks = &keylock.Map{}
	}
	return &Workflow{cfg: cfg, labels: labelWriter{locks: cfg.Locks}, done: map[string]time.Time{}}, nil
}

// templates is the templates repository of org, read with gh.
func (w *Workflow) templates(gh GitHub, org string) *templatesrc.Repo {
	return w.cfg.Templates.Repo(gh, org, w.cfg.TemplatesRepo)
}

// request is one attempt at a request, from an issue event or a comment.
type request struct {
	ref      IssueRef
	url      string
	body     string
	author   string
	labels   []string
	approver string // who commented /approve, when that is the trigger
	repeat   bool   // the trigger repeats one this process may have finished
	log      *slog.Logger
}

func (r *request) hasLabel(l string) bool {
	for _, x := range r.labels {
		if strings.EqualFold(x, l) {
			return true
		}
	}
	return false
}

// inTemplatesRepo reports whether an event is about the templates repository.
func (w *Workflow) inTemplatesRepo(repo string) bool {
	return strings.EqualFold(repo, w.cfg.TemplatesRepo)
}

// IsTemplatesRepo tells whether repo (a name in any account) is the
// templates repository: pushes to it call for EnsureLabels.
func (w *Workflow) IsTemplatesRepo(repo string) bool { return w.inTemplatesRepo(repo) }

// finished reports whether this process already completed the request.
// It spares redeliveries and the labeled events GitHub sends beside
// opened every GitHub request; correctness never depends on it.
func (w *Workflow) finished(url string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.done[url]
	return ok
}

const maxDone = 10000

func (w *Workflow) markFinished(url string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.done) >= maxDone {
		// Forget entries older than an hour, and more if still full: the
		// memo only spares requests, correctness never depends on it.
		cut := w.cfg.Now().Add(-time.Hour)
		for k, t := range w.done {
			if t.Before(cut) || len(w.done) >= maxDone {
				delete(w.done, k)
			}
		}
	}
	w.done[url] = w.cfg.Now()
}

// run serialises work on one issue (across replicas) and runs the request.
func (w *Workflow) run(ctx context.Context, r *request) error {
	unlock, err := w.cfg.Locks.Lock(ctx, "request "+r.url)
	if err != nil {
		return err
	}
	defer unlock()
	if r.repeat && w.finished(r.url) {
		r.log.Debug("request already finished by this process")
		return nil
	}
	gh, err := w.cfg.Client(ctx, r.ref.InstallationID)
	if err != nil {
		return fmt.Errorf("getting a client for installation %d: %w", r.ref.InstallationID, err)
	}
	return w.process(ctx, gh, r)
}

// process is the request flow (SPEC §5): check, then act. A *Problem from
// either ends in the request's comment, once, and a nil error.
func (w *Workflow) process(ctx context.Context, gh GitHub, r *request) error {
	p, err := w.check(ctx, gh, r)
	if err == nil && p == nil {
		return nil // not a request
	}
	switch {
	case err == nil && p.adoption != nil:
		err = w.adopt(ctx, gh, r, p)
	case err == nil:
		err = w.act(ctx, gh, r, p)
	}
	var prob *Problem
	if errors.As(err, &prob) {
		return w.reply(ctx, gh, r, p.tmplName, prob)
	}
	return err
}
