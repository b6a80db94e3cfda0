package upgrade

import (
	"context"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
)

// The pieces of the upgrade pull request's lifecycle that the adoption
// workflow shares (SPEC §6: an adoption is an upgrade from nothing recorded):
// the branch and metadata, the account's limits, the ownership check of a
// branch, and the opening of the pull request on a reserved slot.

// IsAdoption tells an adoption pull request's metadata (no version it comes
// from) from an upgrade's.
func IsAdoption(m Meta) bool { return m.From == "" }

// Block is the hidden metadata block as a body carries it.
func (m Meta) Block() string { return m.block() }

// ReserveSlot takes a slot under the account's prHourlyLimit and
// prConcurrentLimit (0: unlimited) for a new pull request of template on
// owner/repo; over a limit it returns job.Retry. Give the slot to OpenPR, or
// back with the fleet index's ReleasePRSlot if no pull request is opened.
func (w *Workflow) ReserveSlot(ctx context.Context, owner, repo, template string, target *semver.Version, hourly, concurrent int) (fleet.Slot, error) {
	return w.reserve(ctx, RepoArgs{Owner: owner, Repo: repo, PRHourlyLimit: hourly, PRConcurrentLimit: concurrent}, template, target)
}

// BranchIsOurs tells whether every commit of headSHA that base lacks was
// made by the bot; if not, who else made them.
func (w *Workflow) BranchIsOurs(ctx context.Context, gh GitHub, owner, repo, base, headSHA string) (bool, string, error) {
	return w.branchIsOurs(ctx, gh, owner, repo, base, headSHA)
}

// OpenPR opens the pull request from Branch(template) into base with title
// and body on slot, records it in the fleet index (confirming the slot) and
// labels it, as an upgrade pull request is opened. keep reports whether the
// slot must keep counting (the pull request was, or may have been, opened):
// when it is false and err is not nil, release the slot.
func (w *Workflow) OpenPR(ctx context.Context, gh GitHub, owner, repo, template string, target *semver.Version, base, title, body string, slot fleet.Slot) (pr *github.PR, keep bool, err error) {
	h := &hold{slot: slot, release: true}
	f := facts{name: template, target: target, branch: base}
	pr, err = w.openPR(ctx, gh, RepoArgs{Owner: owner, Repo: repo}, f, h, title, body, 0)
	return pr, !h.release, err
}

// AskDashboard asks for the account's fleet dashboard to be refreshed soon
// (batched with every other ask of the period).
func (w *Workflow) AskDashboard(ctx context.Context, installationID int64, owner, templatesRepo string) error {
	return w.cfg.Queue.EnqueueDashboard(ctx, DashboardArgs{InstallationID: installationID, Owner: owner, TemplatesRepo: templatesRepo})
}
