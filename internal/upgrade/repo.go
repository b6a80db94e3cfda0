package upgrade

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// outcome is what one UpgradeRepo run did, for metrics and tests.
type outcome string

const (
	outUpToDate outcome = "up_to_date"
	outCaughtUp outcome = "caught_up" // already there; the index was behind
	outOpened   outcome = "opened"
	outUpdated  outcome = "updated"
	outSame     outcome = "unchanged"
	outBlocked  outcome = "blocked"
	outSkipped  outcome = "skipped" // closed for this version, left the fleet…
	outSnoozed  outcome = "snoozed"
	outFailed   outcome = "failed" // given up; the dashboard shows why
	outError    outcome = "error"  // failed with an error: the queue retries
)

// Outcomes lists every value of goldenpath_upgrade_jobs_total's outcome
// label: each run of UpgradeRepo counts under exactly one.
var Outcomes = []string{string(outUpToDate), string(outCaughtUp), string(outOpened), string(outUpdated), string(outSame),
	string(outBlocked), string(outSkipped), string(outSnoozed), string(outFailed), string(outError)}

// UpgradeRepo is the job of one repository: bring it to args.Tag's version
// with one upgrade pull request. It is idempotent: re-running it after any
// failure or crash converges on the same branch and pull request.
func (w *Workflow) UpgradeRepo(ctx context.Context, a RepoArgs) error {
	unlock, err := w.cfg.Locks.Lock(ctx, RepoLockKey(a.Owner, a.Repo))
	if err != nil {
		return err
	}
	defer unlock()
	out, err := w.upgradeRepo(ctx, a)
	if _, ok := job.RetryWait(err); ok {
		out = outSnoozed
	} else if err != nil && !job.GaveUp(err) {
		out = outError
	}
	w.metrics.jobs.WithLabelValues(string(out)).Inc()
	if out == outError {
		return err
	}
	if out != outSame && out != outSnoozed && out != outUpToDate {
		if derr := w.cfg.Queue.EnqueueDashboard(ctx, DashboardArgs{InstallationID: a.InstallationID, Owner: a.TemplatesOwner, TemplatesRepo: a.TemplatesRepo}); derr != nil {
			w.cfg.Logger.Warn("asking for a dashboard refresh", slog.Any("error", derr))
		}
	}
	return err
}

// upgradeRepo is inspect → decide → apply: the facts are read as decide
// asks for them, then its decision is carried out.
func (w *Workflow) upgradeRepo(ctx context.Context, a RepoArgs) (outcome, error) {
	f := facts{rebuild: a.Rebuild, reanswer: a.Answers != nil}
	if name, target, ok := template.ParseTag(a.Tag); ok && target.Prerelease() == "" {
		f.name, f.target = name, target
	}
	var gh GitHub
	for {
		d := decide(f)
		if d.need == needNothing {
			return w.apply(ctx, gh, a, f, d)
		}
		if gh == nil && d.need != needFleet {
			var err error
			if gh, err = w.cfg.Client(ctx, a.InstallationID); err != nil {
				return "", err
			}
		}
		if err := w.inspect(ctx, gh, a, &f, d.need); err != nil {
			return "", err
		}
	}
}

// inspect reads what decide needs next into f.
func (w *Workflow) inspect(ctx context.Context, gh GitHub, a RepoArgs, f *facts, n need) error {
	var err error
	switch n {
	case needFleet:
		f.fleetRead = true
		f.rec, err = w.cfg.Fleet.Get(ctx, a.Owner, a.Repo)
		f.inFleet = err == nil
		if errors.Is(err, fleet.ErrNotFound) {
			err = nil
		}
	case needTree:
		err = w.readBranch(ctx, gh, a, f)
	case needPR:
		f.prRead = true
		if f.pr, err = gh.FindPR(ctx, a.Owner, a.Repo, Branch(f.name)); err == nil && f.pr != nil {
			f.meta, _ = ParseMeta(f.pr.Body)
		}
	case needOwnership:
		f.ownerRead = true
		f.owned, f.who, err = w.branchIsOurs(ctx, gh, a.Owner, a.Repo, f.head, f.pr.HeadSHA)
	}
	return err
}

// readBranch reads the repository's default branch: its files, its head and
// the answers file among them.
func (w *Workflow) readBranch(ctx context.Context, gh GitHub, a RepoArgs, f *facts) error {
	f.treeRead = true
	f.branch = f.rec.DefaultBranch
	if f.branch == "" {
		r, err := gh.GetRepo(ctx, a.Owner, a.Repo)
		if err != nil {
			return err
		}
		f.branch = r.DefaultBranch
	}
	files, head, err := gh.ReadTree(ctx, a.Owner, a.Repo, f.branch)
	if errors.Is(err, github.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	f.treeFound, f.files, f.head = true, files, head
	if af, ok := files[template.AnswersFileName]; ok {
		parsed, err := template.ParseAnswersFile(af.Data)
		if err != nil {
			f.answersErr = err
		} else {
			f.answers = &parsed
		}
	}
	return nil
}

// apply carries out decision d.
func (w *Workflow) apply(ctx context.Context, gh GitHub, a RepoArgs, f facts, d decision) (outcome, error) {
	rec := f.rec
	if f.answers != nil {
		rec.Version, rec.DefaultBranch, rec.Template = f.answers.Version, f.branch, f.answers.Template
	}
	switch d.act {
	case actNone:
		return d.out, nil
	case actLeaveFleet:
		w.cfg.Logger.Info(d.reason, slog.String("repo", a.Owner+"/"+a.Repo))
		return d.out, w.cfg.Fleet.Delete(ctx, a.Owner, a.Repo)
	case actFail:
		return d.out, w.fail(ctx, a, f.name, f.target, 0, errors.New(d.reason))
	case actRecordFleet:
		return d.out, w.cfg.Fleet.Upsert(ctx, rec)
	case actRecordOpen:
		return d.out, w.recordPR(ctx, a, f.name, f.meta.To, f.pr.Number, fleet.PROpen, -1, "")
	case actBlock:
		return d.out, w.block(ctx, gh, a, f.name, f.target, f.pr, f.who)
	case actRecordClosed:
		return d.out, w.recordPR(ctx, a, f.name, f.meta.To, f.pr.Number, fleet.PRClosed, -1, "")
	case actWrite:
		return w.write(ctx, gh, a, f, d)
	}
	return "", fmt.Errorf("upgrading %s/%s: decision %d has no action", a.Owner, a.Repo, d.act)
}

// branchIsOurs tells whether every commit of headSHA (the branch's head)
// that base lacks was made by the bot; if not, who else made them.
func (w *Workflow) branchIsOurs(ctx context.Context, gh GitHub, owner, repo, base, headSHA string) (bool, string, error) {
	// Compared by SHA: a branch name with a slash is escaped differently
	// by clients, and a wrong 404 here must never read as "no commits".
	commits, err := gh.BranchCommits(ctx, owner, repo, base, headSHA)
	if err != nil {
		return false, "", err
	}
	var others []string
	seen := map[string]bool{}
	for _, c := range commits {
		if w.isBot(c.AuthorLogin) && w.isBot(c.CommitterLogin) {
			continue
		}
		who := c.AuthorLogin
		if who == "" || w.isBot(who) {
			who = c.CommitterLogin
		}
		if who == "" {
			who = c.AuthorName
		} else {
			who = "@" + who
		}
		if !seen[who] {
			seen[who] = true
			others = append(others, who)
		}
	}
	return len(others) == 0, strings.Join(others, ", "), nil
}

// RepoLockKey names the lock of one repository's upgrade or adoption job.
func RepoLockKey(owner, repo string) string {
	return "repo " + strings.ToLower(owner+"/"+repo)
}
