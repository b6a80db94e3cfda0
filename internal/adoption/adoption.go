// Package adoption is the adoption workflow (SPEC §6): an adoption issue in
// the templates repository becomes, for every repository it selects, one
// pull request that adds the golden path's files the repository lacks and
// its .goldenpath.yml, keeping every file it has. An adoption is an upgrade
// from nothing recorded to a version: the pull request lives on the upgrade
// branch, counts against the same limits and, once merged, the repository
// receives upgrades like any other.
//
// The request workflow checks who asks (the same policy as requests) and
// calls Start; Start selects the repositories and queues one job per
// repository (AdoptRepo: inspect → decide → apply), so a big adoption
// survives restarts and is paced by the limits. The bot keeps one comment on
// the issue with a row per repository and closes the issue when every row is
// final.
package adoption

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/ghevent"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/keylock"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade/prepare"
)

// Label marks adoption issues (the adoption form sets it).
const Label = "goldenpath:adopt"

// Title is the adoption pull request's title.
func Title(name, version string) string {
	return fmt.Sprintf("Adopt the %s golden path (v%s)", name, version)
}

// GitHub is every GitHub operation the workflow needs; *github.Client
// satisfies it.
type GitHub interface {
	upgrade.GitHub
	ListTree(ctx context.Context, owner, repo, sha string) (map[string]github.TreeEntry, error)
	GetBlob(ctx context.Context, owner, repo, sha string) ([]byte, error)
	AdminTeams(ctx context.Context, owner, repo string) ([]string, error)
	CloseIssue(ctx context.Context, owner, repo string, number int, reason string) error
	GetIssue(ctx context.Context, owner, repo string, number int) (*github.Issue, error)
}

var _ GitHub = (*github.Client)(nil)

// Fleet is the part of the fleet index the workflow keeps: the adoption
// pull request is recorded as the repository's goldenpath pull request.
type Fleet interface {
	SetUpgradePR(ctx context.Context, pr fleet.UpgradePR) error
	ReleasePRSlot(ctx context.Context, slot fleet.Slot) error
	ConfirmPRSlot(ctx context.Context, slot fleet.Slot, pr fleet.UpgradePR) error
}

// Job kinds.
const (
	RepoKind    = "goldenpath_adoption_repo"
	CommentKind = "goldenpath_adoption_comment"
)

// Causes of a repository job.
const (
	CauseIssue = "issue" // the adoption request
	CauseTag   = "tag"   // a newer version moves an open adoption pull request
)

// RepoArgs is the job that adopts one repository of one request.
type RepoArgs struct {
	InstallationID int64  `json:"installation_id" river:"unique"`
	Org            string `json:"org" river:"unique"`
	TemplatesRepo  string `json:"templates_repo" river:"unique"`
	Issue          int    `json:"issue" river:"unique"`
	Repo           string `json:"repo" river:"unique"`
	Tag            string `json:"tag" river:"unique"` // <template>/vX.Y.Z
	Cause          string `json:"cause" river:"unique"`
	// Given are the answers the issue gave for every repository.
	Given json.RawMessage `json:"given,omitempty"`
	// Limits of goldenpath.yaml (upgrades:) when the request was accepted.
	PRHourlyLimit     int `json:"pr_hourly_limit,omitempty"`
	PRConcurrentLimit int `json:"pr_concurrent_limit,omitempty"`
}

// Kind names the job's kind in the queue.
func (RepoArgs) Kind() string { return RepoKind }

// CommentArgs refreshes the comment of one adoption issue.
type CommentArgs struct {
	InstallationID int64  `json:"installation_id"`
	Org            string `json:"org" river:"unique"`
	TemplatesRepo  string `json:"templates_repo" river:"unique"`
	Issue          int    `json:"issue" river:"unique"`
}

// Kind names the job's kind in the queue.
func (CommentArgs) Kind() string { return CommentKind }

// Enqueuer puts the workflow's jobs on the durable queue (adoptionjobs).
type Enqueuer interface {
	EnqueueRepos(ctx context.Context, jobs []RepoArgs) error
	// EnqueueComment asks for the issue's comment to be refreshed soon;
	// many asks in a short time are worked as one.
	EnqueueComment(ctx context.Context, job CommentArgs) error
}

// Config holds the workflow's dependencies.
type Config struct {
	Client func(ctx context.Context, installationID int64) (GitHub, error)
	Store  *Store
	Fleet  Fleet
	Queue  Enqueuer
	// Upgrades lends the pull request lifecycle (limits, ownership of the
	// branch, opening on a reserved slot).
	Upgrades  *upgrade.Workflow
	Templates *templatesrc.Source
	// TemplatesRepo is the templates repository's name in each account.
	TemplatesRepo string
	// Marker is the hidden marker of the one comment the bot keeps on the
	// issue (the request workflow's, so its earlier statuses are replaced).
	Marker string
	// CreatedLabel is put on the issue when every row is final.
	CreatedLabel string
	Logger       *slog.Logger
	// RenderTimeout bounds a render (template.DefaultRenderTimeout when
	// zero); a render also stops with its job's context.
	RenderTimeout time.Duration
	// Locks serialises work per repository and per issue, shared with the
	// upgrade workflow (nil: a Map of this workflow's own, in this process).
	Locks *keylock.Map
}

// Workflow runs adoptions. Safe for concurrent use.
type Workflow struct {
	cfg Config
}

// New checks cfg and returns a Workflow.
func New(cfg Config) (*Workflow, error) {
	if cfg.Client == nil || cfg.Store == nil || cfg.Fleet == nil || cfg.Queue == nil || cfg.Upgrades == nil || cfg.Templates == nil {
		return nil, errors.New("adoption workflow: Config.Client, Store, Fleet, Queue, Upgrades and Templates are required")
	}
	if cfg.TemplatesRepo == "" || cfg.Marker == "" || cfg.CreatedLabel == "" {
		return nil, errors.New("adoption workflow: Config.TemplatesRepo, Marker and CreatedLabel are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Locks == nil {
		cfg.Locks = &keylock.Map{}
	}
	return &Workflow{cfg: cfg}, nil
}

// Route declares the events the workflow handles: a template version
// pushed to the templates repository moves the open adoption pull requests
// of that template to it (the upgrade workflow rolls it out to the fleet),
// and an adoption pull request merged or closed ends its rows.
func (w *Workflow) Route() job.Route {
	return job.Route{
		Workflow: "adoption",
		Events:   []string{"push", "pull_request"},
		Handle: func(ctx context.Context, d job.Delivery) error {
			var p struct {
				ghevent.Envelope
				Ref         string `json:"ref"`
				Deleted     bool   `json:"deleted"`
				PullRequest struct {
					Number int  `json:"number"`
					Merged bool `json:"merged"`
					Head   struct {
						Ref string `json:"ref"`
					} `json:"head"`
				} `json:"pull_request"`
			}
			if err := ghevent.Decode(d.Event, d.Payload, &p); err != nil {
				return job.Permanent(err)
			}
			org := p.Repository.OwnerLogin()
			if d.Event == "pull_request" {
				if p.Action != "closed" || !strings.HasPrefix(p.PullRequest.Head.Ref, upgrade.BranchPrefix) {
					return nil
				}
				return w.HandleClosed(ctx, org, p.Repository.Name, p.PullRequest.Number, p.PullRequest.Merged)
			}
			tag, ok := strings.CutPrefix(p.Ref, "refs/tags/")
			if !ok || p.Deleted || !strings.EqualFold(p.Repository.Name, w.cfg.TemplatesRepo) {
				return nil
			}
			return w.HandleTag(ctx, org, tag)
		},
	}
}

// HandleClosed ends the rows whose adoption pull request number was merged
// (the repository is in the fleet) or closed unmerged (not reopened), and
// asks for their issues' comments.
func (w *Workflow) HandleClosed(ctx context.Context, org, repo string, number int, merged bool) error {
	rows, err := w.cfg.Store.OpenRowsOf(ctx, org, repo)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.PR != number {
			continue
		}
		r.State, r.Reason = Closed, closedReason(number)
		if merged {
			r.State, r.Reason = Merged, ""
		}
		if err := w.cfg.Store.Set(ctx, r); err != nil {
			return err
		}
		if !merged {
			if err := w.explainClosed(ctx, r, number); err != nil {
				return err
			}
		}
		if err := w.cfg.Queue.EnqueueComment(ctx, CommentArgs{InstallationID: r.InstallationID, Org: r.Org, TemplatesRepo: r.TemplatesRepo, Issue: r.Issue}); err != nil {
			return err
		}
	}
	return nil
}

// explainClosed says on a closed adoption pull request what follows.
func (w *Workflow) explainClosed(ctx context.Context, r Row, number int) error {
	gh, err := w.cfg.Client(ctx, r.InstallationID)
	if err != nil {
		return err
	}
	body := fmt.Sprintf("Closed without merging, so goldenpath will not propose adopting the `%s` golden path here again for %s, nor move this pull request to newer versions.\n\n"+
		"To adopt it later, file a new adoption issue naming this repository, or run `goldenpath adopt --template %s` in a clean checkout.", r.Template, r.IssueURL, r.Template)
	if _, err := gh.UpsertComment(ctx, r.Org, r.Repo, number, "adoption-closed", body); err != nil {
		return fmt.Errorf("explaining the closed adoption of %s/%s: %w", r.Org, r.Repo, err)
	}
	return nil
}

// HandleTag moves every open adoption pull request of tag's template in
// org to tag's version (prereleases never).
func (w *Workflow) HandleTag(ctx context.Context, org, tag string) error {
	name, v, ok := template.ParseTag(tag)
	if !ok || v.Prerelease() != "" {
		return nil
	}
	rows, err := w.cfg.Store.OpenRows(ctx, org, name)
	if err != nil {
		return err
	}
	var jobs []RepoArgs
	for _, r := range rows {
		if cur, err := prepare.ParseVersion(r.Version); err == nil && !cur.LessThan(v) {
			continue
		}
		jobs = append(jobs, RepoArgs{InstallationID: r.InstallationID, Org: r.Org, TemplatesRepo: r.TemplatesRepo, Issue: r.Issue,
			Repo: r.Repo, Tag: template.Tag(name, v), Cause: CauseTag, Given: json.RawMessage(r.Given)})
	}
	if len(jobs) == 0 {
		return nil
	}
	w.cfg.Logger.Info("moving open adoption pull requests to a new version", slog.String("tag", tag), slog.Int("repositories", len(jobs)))
	return w.cfg.Queue.EnqueueRepos(ctx, jobs)
}
