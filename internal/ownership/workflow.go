// Package ownership keeps answers and ownership true (SPEC §7): a person's
// change of a repository's answers, or a team renamed, becomes a pull
// request through the upgrade workflow's lifecycle (one open goldenpath
// pull request per repository and template); invalid new answers are
// answered on the pushed commit; the fleet index follows owner teams by id,
// so a deleted team's repositories show as without an owner.
package ownership

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/fleetscan"
	"github.com/goldenpath-dev/goldenpath/internal/ghevent"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

// GitHub is what the workflow reads and writes. *github.Client satisfies it.
type GitHub interface {
	fleetscan.GitHub
	CommentOnCommit(ctx context.Context, owner, repo, sha, marker, body string) error
}

var _ GitHub = (*github.Client)(nil)

// Fleet is the part of the fleet index the workflow keeps. *fleet.Index
// satisfies it.
type Fleet interface {
	Get(ctx context.Context, owner, name string) (fleet.Repo, error)
	SetOwnership(ctx context.Context, r fleet.Repo) error
	OwnedBy(ctx context.Context, owner string, teamID int64, slug string) ([]fleet.Repo, error)
	TeamGone(ctx context.Context, owner string, teamID int64) error
	UpgradePR(ctx context.Context, owner, name, template string) (fleet.UpgradePR, error)
	List(ctx context.Context) ([]fleet.Repo, error)
	fleetscan.Fleet
}

var _ Fleet = (*fleet.Index)(nil)

// Config holds the workflow's dependencies.
type Config struct {
	Client func(ctx context.Context, installationID int64) (GitHub, error)
	Fleet  Fleet
	// Upgrades queues the pull requests (re-answer jobs of the upgrade
	// workflow) and the dashboard refreshes.
	Upgrades upgrade.Enqueuer
	// Templates reads the templates repositories (shared with the other
	// workflows).
	Templates     *templatesrc.Source
	TemplatesRepo string
	Logger        *slog.Logger
}

// Workflow is the ownership workflow. Safe for concurrent use.
type Workflow struct {
	cfg  Config
	scan *fleetscan.Scanner
}

// New checks cfg and returns a Workflow.
func New(cfg Config) (*Workflow, error) {
	if cfg.Client == nil || cfg.Fleet == nil || cfg.Upgrades == nil || cfg.Templates == nil {
		return nil, errors.New("ownership workflow: Config.Client, Fleet, Upgrades and Templates are required")
	}
	if cfg.TemplatesRepo == "" {
		cfg.TemplatesRepo = config.DefaultTemplatesRepo
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Workflow{cfg: cfg, scan: &fleetscan.Scanner{Fleet: cfg.Fleet, Templates: cfg.Templates}}, nil
}

// Route declares the events the workflow handles: pushes (answers changed)
// and team (renamed, deleted). app.yml subscribes to both.
func (w *Workflow) Route() job.Route {
	return job.Route{
		Workflow: "ownership",
		Events:   []string{"push", "team"},
		Handle: func(ctx context.Context, d job.Delivery) error {
			switch d.Event {
			case "push":
				if !upgrade.PushTouchesAnswers(d.Payload) {
					return nil
				}
				var p pushPayload
				if err := ghevent.Decode(d.Event, d.Payload, &p); err != nil {
					return err
				}
				return w.handlePush(ctx, d.InstallationID, p)
			case "team":
				var p teamPayload
				if err := ghevent.Decode(d.Event, d.Payload, &p); err != nil {
					return err
				}
				return w.handleTeam(ctx, d.InstallationID, p)
			}
			return nil
		},
	}
}

// policy reads the upgrade limits that apply to the pull requests (a broken
// policy: GitHub's own limits only, as for upgrades).
func (w *Workflow) policy(ctx context.Context, gh GitHub, org, repo string) (config.Policy, error) {
	p, err := w.cfg.Templates.Repo(gh, org, repo).Policy(ctx, "")
	var broken *templatesrc.BrokenPolicyError
	if errors.As(err, &broken) {
		return config.DefaultPolicy(), nil
	}
	return p, err
}

// enqueue queues the re-answer of one repository at version.
func (w *Workflow) enqueue(ctx context.Context, gh GitHub, inst int64, r fleet.Repo, templatesOwner, templatesRepo, version, cause string, change upgrade.AnswersChange) error {
	pol, err := w.policy(ctx, gh, templatesOwner, templatesRepo)
	if err != nil {
		return fmt.Errorf("re-answering %s/%s: %w", r.Owner, r.Name, err)
	}
	if pr, err := w.cfg.Fleet.UpgradePR(ctx, r.Owner, r.Name, r.Template); err == nil {
		version = targetVersion(version, pr, true)
	} else if !errors.Is(err, fleet.ErrNotFound) {
		return err
	}
	return w.cfg.Upgrades.EnqueueUpgrades(ctx, []upgrade.RepoArgs{{
		InstallationID: inst, Owner: r.Owner, Repo: r.Name, Tag: r.Template + "/v" + strings.TrimPrefix(version, "v"),
		TemplatesOwner: templatesOwner, TemplatesRepo: templatesRepo, Cause: cause,
		PRHourlyLimit: pol.Upgrades.PRHourlyLimit, PRConcurrentLimit: pol.Upgrades.PRConcurrentLimit,
		Answers: &change,
	}})
}
