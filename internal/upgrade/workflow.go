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
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/keylock"
	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade/prepare"
)

type mergeEntry = merge.FileEntry

// DefaultTemplatesRepo is the templates repository's name (SPEC §2).
const DefaultTemplatesRepo = "golden-paths"

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
}

// Workflow runs upgrades. Safe for concurrent use.
type Workflow struct {
	cfg       Config
	templates *templateCache
	metrics   *metrics
	locks     keylock.Map

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
		cfg.TemplatesRepo = DefaultTemplatesRepo
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
	return &Workflow{cfg: cfg, templates: newTemplateCache(32), metrics: m, botLogin: cfg.BotLogin,
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
	data, _, err := gh.GetFile(ctx, org, repo, config.PolicyFile, ref)
	if errors.Is(err, github.ErrNotFound) {
		return config.DefaultPolicy(), nil
	}
	if err != nil {
		return config.Policy{}, fmt.Errorf("reading %s: %w", config.PolicyFile, err)
	}
	p, err := config.ParsePolicy(data)
	if err != nil {
		// A broken policy must not stop upgrades: GitHub's own limits apply.
		w.cfg.Logger.Warn("ignoring the upgrade limits of a broken policy", slog.Any("error", err))
		return config.DefaultPolicy(), nil
	}
	return p, nil
}

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
	unlock := w.locks.Lock(strings.ToLower(a.Owner + "/" + a.Repo))
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

func (w *Workflow) upgradeRepo(ctx context.Context, a RepoArgs) (outcome, error) {
	name, target, ok := template.ParseTag(a.Tag)
	if !ok || target.Prerelease() != "" {
		return outSkipped, nil
	}
	log := w.cfg.Logger.With(slog.String("repo", a.Owner+"/"+a.Repo), slog.String("tag", a.Tag))
	fr, err := w.cfg.Fleet.Get(ctx, a.Owner, a.Repo)
	if errors.Is(err, fleet.ErrNotFound) {
		return outSkipped, nil // left the fleet since the rollout began
	}
	if err != nil {
		return "", err
	}
	if fr.Template != name {
		return outSkipped, nil
	}
	// The index says it is there already: not a single request.
	if !a.Rebuild && !olderThan(fr.Version, target) {
		return outUpToDate, nil
	}
	gh, err := w.cfg.Client(ctx, a.InstallationID)
	if err != nil {
		return "", err
	}
	branch := fr.DefaultBranch
	if branch == "" {
		r, err := gh.GetRepo(ctx, a.Owner, a.Repo)
		if err != nil {
			return "", err
		}
		branch = r.DefaultBranch
	}
	files, head, err := gh.ReadTree(ctx, a.Owner, a.Repo, branch)
	if errors.Is(err, github.ErrNotFound) {
		return outSkipped, w.cfg.Fleet.Delete(ctx, a.Owner, a.Repo)
	}
	if err != nil {
		return "", err
	}
	afFile, ok := files[template.AnswersFileName]
	if !ok {
		log.Info("repository no longer has the answers file: left the fleet")
		return outSkipped, w.cfg.Fleet.Delete(ctx, a.Owner, a.Repo)
	}
	af, err := template.ParseAnswersFile(afFile.Data)
	if err != nil {
		return outFailed, w.fail(ctx, a, name, target, 0, fmt.Errorf("%s on %s: %w", template.AnswersFileName, branch, err))
	}
	fr.Version, fr.DefaultBranch = af.Version, branch
	if af.Template != name {
		fr.Template = af.Template
		return outSkipped, w.cfg.Fleet.Upsert(ctx, fr)
	}
	from, ok := parseVersion(af.Version)
	if !ok {
		return outFailed, w.fail(ctx, a, name, target, 0, fmt.Errorf("%s records version %q, which is not semver", template.AnswersFileName, af.Version))
	}
	if !from.LessThan(target) {
		return outCaughtUp, w.cfg.Fleet.Upsert(ctx, fr)
	}

	upBranch := Branch(name)
	pr, err := gh.FindPR(ctx, a.Owner, a.Repo, upBranch)
	if err != nil {
		return "", err
	}
	var meta Meta
	if pr != nil {
		meta, _ = ParseMeta(pr.Body)
	}
	force, reuse := false, false
	if pr != nil {
		prTo, _ := parseVersion(meta.To)
		switch {
		case pr.State == "open":
			reuse = true
			if !a.Rebuild && prTo != nil && !prTo.LessThan(target) && meta.Base == head && pr.HeadSHA == meta.Commit {
				return outSame, w.recordPR(ctx, a, name, meta.To, pr.Number, fleet.PROpen, -1, "")
			}
			if !a.Rebuild && pr.HeadSHA != meta.Commit {
				owned, who, err := w.branchIsOurs(ctx, gh, a.Owner, a.Repo, head, pr.HeadSHA)
				if err != nil {
					return "", err
				}
				if !owned {
					return outBlocked, w.block(ctx, gh, a, name, target, pr, who)
				}
			}
			force = true
		case !pr.Merged && prTo != nil && !prTo.LessThan(target) && !a.Rebuild:
			// Closed unmerged for this version (or a newer one): not reopened.
			return outSkipped, w.recordPR(ctx, a, name, meta.To, pr.Number, fleet.PRClosed, -1, "")
		}
	}
	if a.Rebuild && !reuse {
		return outSkipped, nil // only an open pull request is rebuilt
	}

	// Limits apply to new pull requests only: updating one is free.
	// release: the slot goes back when the job ends, unless the pull
	// request was opened, or may have been (a create call with no clear
	// answer): then the slot keeps counting until it expires, never forever.
	var slot fleet.Slot
	release := false
	if !reuse {
		s, err := w.reserve(ctx, a, name, target)
		if err != nil {
			if _, ok := job.RetryWait(err); ok {
				return outSnoozed, err
			}
			return "", err
		}
		slot, release = s, true
		defer func() {
			if !release {
				return
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := w.cfg.Fleet.ReleasePRSlot(rctx, slot); err != nil {
				log.Warn("giving an upgrade PR slot back; it expires by itself", slog.Any("error", err))
			}
		}()
	}

	oldT, err := w.templates.load(ctx, gh, a.TemplatesOwner, a.TemplatesRepo, name, template.Tag(name, from), "")
	if err != nil {
		return outFailed, w.maybeFail(ctx, a, name, target, err)
	}
	// By tag name, not TagSHA: for an annotated tag a push event's "after" is
	// the tag object, which not every endpoint takes for a commit.
	newT, err := w.templates.load(ctx, gh, a.TemplatesOwner, a.TemplatesRepo, name, a.Tag, "")
	if err != nil {
		return outFailed, w.maybeFail(ctx, a, name, target, err)
	}
	ours := make(merge.Tree, len(files))
	for p, f := range files {
		if f.Mode&fs.ModeSymlink != 0 {
			continue // links are the repository's own; the template has none
		}
		ours[p] = merge.FileEntry{Data: f.Data, Mode: f.Mode}
	}
	prep, err := prepare.Upgrade(prepare.Input{Old: oldT, New: newT, From: from, To: target, Answers: af, Org: a.Owner, Ours: ours})
	if err != nil {
		// Rendering failed: the template or the answers are broken; retrying
		// cannot help, so say so on the dashboard.
		return outFailed, w.fail(ctx, a, name, target, 0, err)
	}

	msg := Title(name, target.String()) + "\n\nFrom " + from.String() + " to " + target.String() + " with a 3-way merge; see the pull request for conflicts."
	sha, err := gh.CommitFiles(ctx, a.Owner, a.Repo, upBranch, head, toGitHub(prep.Changes), msg, force)
	if errors.Is(err, github.ErrNotFastForward) && !force {
		// The branch exists without an open pull request (an old merged or
		// closed one, or a crash before the pull request was opened).
		tip, cerr := gh.ResolveRef(ctx, a.Owner, a.Repo, upBranch)
		if cerr != nil {
			return "", cerr
		}
		owned, who, cerr := w.branchIsOurs(ctx, gh, a.Owner, a.Repo, head, tip)
		if cerr != nil {
			return "", cerr
		}
		if !owned {
			return outBlocked, w.fail(ctx, a, name, target, 0, fmt.Errorf("branch %s has commits by %s: it is never force-pushed; delete the branch to let goldenpath open the upgrade", upBranch, who))
		}
		sha, err = gh.CommitFiles(ctx, a.Owner, a.Repo, upBranch, head, toGitHub(prep.Changes), msg, true)
	}
	if err != nil {
		return "", err
	}

	conflicts := 0
	for _, f := range prep.Plan.Conflicts() {
		conflicts += f.Conflicts
	}
	prevConflicts := meta.Conflicts
	meta = Meta{Template: name, From: from.String(), To: target.String(), Source: a.TemplatesOwner + "/" + a.TemplatesRepo, Base: head, Commit: sha, Conflicts: conflicts}
	body := renderBody(bodyInput{Meta: meta, Changelog: prep.Changelog, Plan: prep.Plan})
	title := Title(name, target.String())
	out := outUpdated
	if reuse {
		if _, err := gh.UpdatePR(ctx, a.Owner, a.Repo, pr.Number, github.PRUpdate{Title: &title, Body: &body}); err != nil {
			return "", err
		}
		// Drafts follow the conflicts. A draft the bot did not make for
		// conflicts (a person's choice) is left a draft.
		switch {
		case conflicts > 0 && !pr.Draft:
			err = gh.SetPRDraft(ctx, a.Owner, a.Repo, pr.Number, pr.NodeID, true)
		case conflicts == 0 && pr.Draft && prevConflicts > 0:
			err = gh.SetPRDraft(ctx, a.Owner, a.Repo, pr.Number, pr.NodeID, false)
		}
		if err != nil {
			return "", err
		}
	} else {
		made, err := gh.CreatePR(ctx, a.Owner, a.Repo, github.NewPR{Title: title, Body: body, Head: upBranch, Base: branch, Draft: conflicts > 0})
		if err != nil && !errors.Is(err, github.ErrValidation) && !errors.Is(err, github.ErrNotFound) && !errors.Is(err, github.ErrConflict) {
			// Opened, or maybe opened (no clear answer): the reservation
			// keeps counting until it is confirmed or expires.
			release = false
		}
		if errors.Is(err, github.ErrAlreadyExists) {
			// Opened by an earlier attempt whose answer was lost.
			if made, err = gh.FindPR(ctx, a.Owner, a.Repo, upBranch); err == nil && made != nil {
				_, err = gh.UpdatePR(ctx, a.Owner, a.Repo, made.Number, github.PRUpdate{Title: &title, Body: &body})
			}
		}
		if err != nil {
			return "", err
		}
		if made == nil {
			return "", fmt.Errorf("opening the upgrade pull request of %s/%s: not found after GitHub said it exists", a.Owner, a.Repo)
		}
		pr, out = made, outOpened
		// Recorded at once with when it was opened, the reservation turned
		// into an opening in the same transaction (prHourlyLimit counts it
		// from the index), before anything else can fail and leave a retry
		// to find it open.
		rec := fleet.UpgradePR{Owner: a.Owner, Name: a.Repo, Template: name, TargetVersion: target.String(), Number: pr.Number,
			State: fleet.PROpen, Conflicts: conflicts, OpenedAt: w.cfg.Now()}
		release = false // opened: if the confirmation fails, the reservation counts until it expires
		if err := w.cfg.Fleet.ConfirmPRSlot(ctx, slot, rec); err != nil {
			return "", err
		}
		if err := gh.AddLabels(ctx, a.Owner, a.Repo, pr.Number, []string{Label}); err != nil {
			return "", err
		}
	}
	log.Info("upgrade pull request written", slog.Int("pr", pr.Number), slog.String("outcome", string(out)), slog.Int("conflicts", conflicts))
	return out, w.recordPR(ctx, a, name, target.String(), pr.Number, fleet.PROpen, conflicts, "")
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
