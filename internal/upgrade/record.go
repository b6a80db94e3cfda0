package upgrade

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// block stops updating a pull request a person pushed to, and says so once.
func (w *Workflow) block(ctx context.Context, gh GitHub, a RepoArgs, name string, target *semver.Version, pr *github.PR, who string) error {
	prev, err := w.cfg.Fleet.UpgradePR(ctx, a.Owner, a.Repo, name)
	if err != nil && !errors.Is(err, fleet.ErrNotFound) {
		return err
	}
	if err == nil && prev.State == fleet.PRBlocked && prev.Number == pr.Number && prev.TargetVersion == target.String() {
		return nil // already said
	}
	body := fmt.Sprintf("%s pushed to `%s`, so goldenpath no longer updates this pull request: it never force-pushes over a person's commits.\n\n"+
		"Version **%s** of the `%s` template is available. To have goldenpath rebuild this branch from the default branch with it (dropping the commits on the branch), tick **Rebuild this branch** in the description.",
		who, Branch(name), target, name)
	if _, err := gh.UpsertComment(ctx, a.Owner, a.Repo, pr.Number, "upgrade-blocked", body); err != nil {
		return err
	}
	return w.recordPR(ctx, a, name, target.String(), pr.Number, fleet.PRBlocked, -1, "")
}

// recordPR keeps the fleet index's view of the upgrade PR; conflicts < 0
// keeps the recorded count.
func (w *Workflow) recordPR(ctx context.Context, a RepoArgs, name, version string, number int, state string, conflicts int, lastErr string) error {
	return w.recordPRAt(ctx, a, name, version, number, state, conflicts, lastErr, time.Time{})
}

// recordPRAt is recordPR for a pull request the bot opened at opened (zero:
// keep the recorded time).
func (w *Workflow) recordPRAt(ctx context.Context, a RepoArgs, name, version string, number int, state string, conflicts int, lastErr string, opened time.Time) error {
	rec := fleet.UpgradePR{Owner: a.Owner, Name: a.Repo, Template: name, TargetVersion: version, Number: number, State: state, Conflicts: conflicts, LastError: lastErr, OpenedAt: opened}
	if conflicts < 0 || number == 0 {
		prev, err := w.cfg.Fleet.UpgradePR(ctx, a.Owner, a.Repo, name)
		if err != nil && !errors.Is(err, fleet.ErrNotFound) {
			return err
		}
		if conflicts < 0 {
			rec.Conflicts = max(prev.Conflicts, 0)
		}
		if number == 0 {
			rec.Number = prev.Number
			if state == PRFailed && prev.State != "" && prev.State != PRFailed {
				// Keep showing the pull request's state beside the error.
				rec.State = prev.State
			}
		}
		if err == nil && prev == rec {
			return nil
		}
	}
	return w.cfg.Fleet.SetUpgradePR(ctx, rec)
}

// fail records a failure that retrying cannot fix (shown on the dashboard)
// and gives the job up: job.GiveUp once the dashboard's record is written.
func (w *Workflow) fail(ctx context.Context, a RepoArgs, name string, target *semver.Version, number int, cause error) error {
	if err := w.recordFailure(ctx, a, name, target, number, cause); err != nil {
		return err
	}
	return job.GiveUp(cause.Error())
}

// recordFailure keeps cause as the upgrade's last error in the fleet index.
func (w *Workflow) recordFailure(ctx context.Context, a RepoArgs, name string, target *semver.Version, number int, cause error) error {
	w.cfg.Logger.Warn("upgrade failed", slog.String("repo", a.Owner+"/"+a.Repo), slog.String("tag", a.Tag), slog.Any("error", cause))
	return w.recordPR(ctx, a, name, target.String(), number, PRFailed, -1, cause.Error())
}

// maybeFail turns final errors (a template that cannot load) into a
// recorded failure and lets transient ones retry.
func (w *Workflow) maybeFail(ctx context.Context, a RepoArgs, name string, target *semver.Version, err error) error {
	if isTransient(err) {
		return err
	}
	return w.fail(ctx, a, name, target, 0, err)
}

// isTransient: a GitHub answer other than "not there" or "invalid", or a
// timeout, may go away on retry; a template that does not load will not.
func isTransient(err error) bool {
	var apiErr *github.APIError
	if errors.As(err, &apiErr) {
		return !errors.Is(err, github.ErrNotFound) && !errors.Is(err, github.ErrValidation)
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// OnDiscard records a repository job's last error for the dashboard. Wire
// it as the queue's discard callback of RepoKind.
func (w *Workflow) OnDiscard(ctx context.Context, a RepoArgs, err error) {
	name, v, ok := template.ParseTag(a.Tag)
	if !ok {
		return
	}
	if rerr := w.recordFailure(ctx, a, name, v, 0, err); rerr != nil {
		w.cfg.Logger.Error("recording an upgrade failure", slog.Any("error", rerr))
	}
	_ = w.cfg.Queue.EnqueueDashboard(ctx, DashboardArgs{InstallationID: a.InstallationID, Owner: a.TemplatesOwner, TemplatesRepo: a.TemplatesRepo})
}

// reserve applies prConcurrentLimit and prHourlyLimit of the repository's
// account before a new pull request and takes a slot under them: over a
// limit it returns job.Retry, so the job waits rather than fails. The
// check and the reservation are one transaction under the account's lock in
// the database, so replicas racing for the last slot cannot both take it.
// A slot is taken even without limits: its confirmation is the record of
// the opening that a later rollout with limits counts.
func (w *Workflow) reserve(ctx context.Context, a RepoArgs, name string, target *semver.Version) (fleet.Slot, error) {
	now := w.cfg.Now()
	slot, err := w.cfg.Fleet.ReservePRSlot(ctx, fleet.SlotRequest{Owner: a.Owner, Name: a.Repo, Template: name, Version: target.String(),
		Concurrent: a.PRConcurrentLimit, Hourly: a.PRHourlyLimit, Window: w.cfg.Hour, TTL: w.cfg.SlotTTL, Now: now})
	var limit *fleet.LimitError
	if errors.As(err, &limit) {
		if limit.RetryAt.IsZero() {
			return fleet.Slot{}, job.Retry(w.cfg.SnoozeConcurrent, limit.Error())
		}
		return fleet.Slot{}, job.Retry(max(limit.RetryAt.Sub(now)+time.Second, time.Second), limit.Error())
	}
	return slot, err
}
