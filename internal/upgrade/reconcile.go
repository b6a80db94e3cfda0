package upgrade

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// ReconcileAll reconciles every installation (the periodic job). One
// account's failure does not stop the others; the errors are joined.
func (w *Workflow) ReconcileAll(ctx context.Context) error {
	if w.cfg.Installations == nil {
		return nil
	}
	insts, err := w.cfg.Installations(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, in := range insts {
		if err := w.Reconcile(ctx, in.ID, in.Account); err != nil {
			errs = append(errs, fmt.Errorf("reconciling %s: %w", in.Account, err))
		}
	}
	return errors.Join(errs...)
}

// Reconcile brings the fleet index of one account in line with GitHub and
// catches up on rollouts it missed (a lost delivery, a restart before the
// jobs were queued): every repository the installation sees has its
// .goldenpath.yml read with a conditional request (a 304 costs no rate
// limit), repositories gone or without the file leave the index, and
// repositories behind their template's newest released version get an
// upgrade job (the job itself skips pull requests closed for that version).
func (w *Workflow) Reconcile(ctx context.Context, installationID int64, account string) error {
	gh, err := w.cfg.Client(ctx, installationID)
	if err != nil {
		return err
	}
	// Records older than this (with a margin for replicas' clocks and
	// GitHub's listing catching up with a new repository) are judged by the
	// listing; younger ones wait for the next reconcile.
	listedAt := time.Now().Add(-listingMargin)
	repos, err := gh.Repos(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range repos {
		if !strings.EqualFold(r.Owner, account) {
			continue
		}
		seen[strings.ToLower(r.Name)] = true
		if err := w.reconcileRepo(ctx, gh, installationID, r); err != nil {
			w.cfg.Logger.Warn("reconciling a repository", slog.String("repo", r.FullName), slog.Any("error", err))
		}
	}
	all, err := w.cfg.Fleet.List(ctx)
	if err != nil {
		return err
	}
	behind := map[string][]fleet.Repo{}
	for _, fr := range all {
		if !strings.EqualFold(fr.Owner, account) {
			continue
		}
		if !seen[strings.ToLower(fr.Name)] {
			// Deleted, transferred, or no longer visible to the App — unless
			// it was recorded after the listing began (a request created it
			// meanwhile): then it is kept.
			gone, err := w.cfg.Fleet.DeleteIfRecordedBefore(ctx, fr.Owner, fr.Name, listedAt)
			if err != nil {
				return err
			}
			if gone {
				continue
			}
		}
		behind[fr.Template] = append(behind[fr.Template], fr)
	}
	names := make([]string, 0, len(behind))
	for n := range behind {
		names = append(names, n)
	}
	sort.Strings(names)
	var jobs []RepoArgs
	for _, name := range names {
		tags, err := gh.ListTags(ctx, account, w.cfg.TemplatesRepo, name+"/v")
		if errors.Is(err, github.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		tagNames := make([]string, len(tags))
		for i, t := range tags {
			tagNames[i] = t.Name
		}
		tag, v, ok := template.LatestVersion(tagNames, name)
		if !ok {
			continue
		}
		for _, fr := range behind[name] {
			if olderThan(fr.Version, v) {
				jobs = append(jobs, RepoArgs{InstallationID: installationID, Owner: fr.Owner, Repo: fr.Name, Tag: tag,
					TemplatesOwner: account, TemplatesRepo: w.cfg.TemplatesRepo, Cause: "tag"})
			}
		}
	}
	if len(jobs) > 0 {
		pol, err := w.policy(ctx, installationID, account, w.cfg.TemplatesRepo, "")
		if err != nil {
			return err
		}
		for i := range jobs {
			jobs[i].PRHourlyLimit, jobs[i].PRConcurrentLimit = pol.Upgrades.PRHourlyLimit, pol.Upgrades.PRConcurrentLimit
		}
		w.cfg.Logger.Info("reconcile queues missed upgrades", slog.String("account", account), slog.Int("repositories", len(jobs)))
		if err := w.cfg.Queue.EnqueueUpgrades(ctx, jobs); err != nil {
			return err
		}
	}
	return w.cfg.Queue.EnqueueDashboard(ctx, DashboardArgs{InstallationID: installationID, Owner: account, TemplatesRepo: w.cfg.TemplatesRepo})
}

// listingMargin: a fleet record this much younger than a reconcile's
// listing of GitHub is not judged by it (see Reconcile).
const listingMargin = 2 * time.Minute

func (w *Workflow) reconcileRepo(ctx context.Context, gh GitHub, installationID int64, r *github.Repo) error {
	key := "answers:" + strings.ToLower(r.FullName)
	etag, _, err := w.cfg.Fleet.ETag(ctx, key)
	if err != nil {
		return err
	}
	if etag != "" {
		// A 304 only helps if the index still holds what that read gave.
		if _, gerr := w.cfg.Fleet.Get(ctx, r.Owner, r.Name); errors.Is(gerr, fleet.ErrNotFound) {
			etag = ""
		}
	}
	readAt := time.Now()
	fv, changed, err := gh.GetFileIfChanged(ctx, r.Owner, r.Name, template.AnswersFileName, "", etag)
	if errors.Is(err, github.ErrNotFound) {
		if etag != "" {
			_ = w.cfg.Fleet.SetETag(ctx, key, "", nil)
		}
		// A repository a request is creating has no answers file until its
		// first commit, and is recorded just after it: a record younger
		// than this read is kept.
		_, err := w.cfg.Fleet.DeleteIfRecordedBefore(ctx, r.Owner, r.Name, readAt)
		return err
	}
	if err != nil {
		return err
	}
	if !changed {
		return nil // 304: as the index already has it
	}
	if err := w.recordAnswers(ctx, installationID, r.Owner, r.Name, r.DefaultBranch, fv.Data); err != nil {
		return err
	}
	return w.cfg.Fleet.SetETag(ctx, key, fv.ETag, nil)
}
