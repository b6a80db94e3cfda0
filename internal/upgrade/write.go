package upgrade

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"reflect"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade/prepare"
)

// hold is a slot reserved under the account's limits for a new pull
// request. It goes back when the job ends, unless the pull request was
// opened, or may have been (a create call with no clear answer): then it
// keeps counting until it expires, never forever.
type hold struct {
	slot    fleet.Slot
	release bool
}

// write is actWrite: the upgrade committed on its branch, and its pull
// request opened or updated.
func (w *Workflow) write(ctx context.Context, gh GitHub, a RepoArgs, f facts, d decision) (outcome, error) {
	log := w.cfg.Logger.With(slog.String("repo", a.Owner+"/"+a.Repo), slog.String("tag", a.Tag))
	// Limits apply to new pull requests only: updating one is free.
	h := &hold{}
	if !d.reuse {
		s, err := w.reserve(ctx, a, f.name, f.target)
		if err != nil {
			return "", err
		}
		h.slot, h.release = s, true
		defer func() {
			if !h.release {
				return
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := w.cfg.Fleet.ReleasePRSlot(rctx, h.slot); err != nil {
				log.Warn("giving an upgrade PR slot back; it expires by itself", slog.Any("error", err))
			}
		}()
	}
	prep, out, err := w.prepare(ctx, gh, a, f, d)
	if err != nil || out != "" {
		return out, err
	}
	if len(prep.Changes) == 0 && !d.reuse {
		// New answers the files already follow (the bot's own pull request
		// merged): nothing to propose.
		log.Info("the files already follow the answers: no pull request")
		return outSame, nil
	}
	title := titleOf(f.name, d.from.String(), f.target.String())
	msg := title + "\n\nFrom " + d.from.String() + " to " + f.target.String() + " with a 3-way merge; see the pull request for conflicts."
	if prep.answers.reason != "" {
		msg += "\n\n" + prep.answers.reason
	}
	upBranch := Branch(f.name)
	sha, err := gh.CommitFiles(ctx, a.Owner, a.Repo, upBranch, f.head, toGitHub(prep.Changes), msg, d.force)
	if errors.Is(err, github.ErrNotFastForward) && !d.force {
		// The branch exists without an open pull request (an old merged or
		// closed one, or a crash before the pull request was opened).
		tip, cerr := gh.ResolveRef(ctx, a.Owner, a.Repo, upBranch)
		if cerr != nil {
			return "", cerr
		}
		owned, who, cerr := w.branchIsOurs(ctx, gh, a.Owner, a.Repo, f.head, tip)
		if cerr != nil {
			return "", cerr
		}
		if !owned {
			return outBlocked, w.fail(ctx, a, f.name, f.target, 0, fmt.Errorf("branch %s has commits by %s: it is never force-pushed; delete the branch to let goldenpath open the upgrade", upBranch, who))
		}
		sha, err = gh.CommitFiles(ctx, a.Owner, a.Repo, upBranch, f.head, toGitHub(prep.Changes), msg, true)
	}
	if err != nil {
		return "", err
	}
	conflicts := 0
	for _, c := range prep.Plan.Conflicts() {
		conflicts += c.Conflicts
	}
	meta := Meta{Template: f.name, From: d.from.String(), To: f.target.String(), Source: a.TemplatesOwner + "/" + a.TemplatesRepo,
		Base: f.head, Commit: sha, Conflicts: conflicts,
		BaseAnswers: prep.answers.base, Set: prep.answers.set, Reason: prep.answers.reason}
	body := renderBody(bodyInput{Meta: meta, Changelog: prep.Changelog, Plan: prep.Plan, Answers: prep.changed})
	var pr *github.PR
	out = outUpdated
	if d.reuse {
		pr, err = f.pr, w.updatePR(ctx, gh, a, f, title, body, conflicts)
	} else {
		pr, err = w.openPR(ctx, gh, a, f, h, title, body, conflicts)
		out = outOpened
	}
	if err != nil {
		return "", err
	}
	log.Info("upgrade pull request written", slog.Int("pr", pr.Number), slog.String("outcome", string(out)), slog.Int("conflicts", conflicts))
	return out, w.recordPR(ctx, a, f.name, f.target.String(), pr.Number, fleet.PROpen, conflicts, "")
}

// prepared is an upgrade computed: the files, and the answers it changes.
type prepared struct {
	*prepare.Result
	answers answersPlan
	changed []answerChange
}

// prepare loads both versions of the template and computes the upgrade of
// the repository's files. A template that does not load or render is
// recorded as a failure (outcome failed), a transient error returned.
func (w *Workflow) prepare(ctx context.Context, gh GitHub, a RepoArgs, f facts, d decision) (*prepared, outcome, error) {
	src := w.templates.Repo(gh, a.TemplatesOwner, a.TemplatesRepo)
	oldT, err := src.At(ctx, template.Tag(f.name, d.from))
	if err != nil {
		return nil, outFailed, w.maybeFail(ctx, a, f.name, f.target, err)
	}
	// By tag name, not TagSHA: for an annotated tag a push event's "after" is
	// the tag object, which not every endpoint takes for a commit.
	newT, err := src.At(ctx, a.Tag)
	if err != nil {
		return nil, outFailed, w.maybeFail(ctx, a, f.name, f.target, err)
	}
	ours := make(merge.Tree, len(f.files))
	for p, file := range f.files {
		if file.Mode&fs.ModeSymlink != 0 {
			continue // links are the repository's own; the template has none
		}
		ours[p] = merge.FileEntry{Data: file.Data, Mode: file.Mode}
	}
	var meta *Meta
	if d.reuse {
		meta = &f.meta
	}
	ap := planAnswers(a.Answers, meta)
	// The files on the default branch were rendered with the plan's base,
	// or else with its .goldenpath.yml as it is (before any answer is set).
	base := map[string]any(f.answers.Answers)
	if ap.base != nil {
		base = ap.base
	}
	prep, err := prepare.Upgrade(ctx, prepare.Input{Old: oldT, New: newT, From: d.from, To: f.target, Answers: ap.apply(*f.answers),
		BaseAnswers: base, Org: a.Owner, Ours: ours, RenderTimeout: w.cfg.RenderTimeout})
	if err != nil && ctx.Err() != nil {
		// The job was cancelled mid-render: nothing is wrong with the
		// template; the retry renders again.
		return nil, outError, fmt.Errorf("preparing the upgrade of %s/%s: %w", a.Owner, a.Repo, err)
	}
	if err != nil {
		// Rendering failed: the template or the answers are broken; retrying
		// cannot help, so say so on the dashboard.
		return nil, outFailed, w.fail(ctx, a, f.name, f.target, 0, err)
	}
	if sameAnswersFile(newT, *f.answers, prep.AnswersFile) {
		// Only the files follow the answers: the person's .goldenpath.yml
		// stays as they wrote it.
		delete(prep.Changes, template.AnswersFileName)
	}
	out := &prepared{Result: prep, answers: ap}
	if baseAnswers, err := oldT.Manifest.Validate(base); err == nil {
		out.changed = changedAnswers(baseAnswers, prep.AnswersFile.Answers)
	}
	return out, "", nil
}

// sameAnswersFile reports whether next says what cur says: the same
// template, version, source, request and (validated by t) answers.
func sameAnswersFile(t *template.Template, cur, next template.AnswersFile) bool {
	answers, err := t.Manifest.Validate(cur.Answers)
	return err == nil && cur.Template == next.Template && cur.Version == next.Version && cur.Source == next.Source &&
		cur.Request == next.Request && reflect.DeepEqual(answers, next.Answers)
}

// updatePR brings the open pull request's title, body and draft state up
// to date. Drafts follow the conflicts; a draft the bot did not make for
// conflicts (a person's choice) is left a draft.
func (w *Workflow) updatePR(ctx context.Context, gh GitHub, a RepoArgs, f facts, title, body string, conflicts int) error {
	pr := f.pr
	if _, err := gh.UpdatePR(ctx, a.Owner, a.Repo, pr.Number, github.PRUpdate{Title: &title, Body: &body}); err != nil {
		return err
	}
	switch {
	case conflicts > 0 && !pr.Draft:
		return gh.SetPRDraft(ctx, a.Owner, a.Repo, pr.Number, pr.NodeID, true)
	case conflicts == 0 && pr.Draft && f.meta.Conflicts > 0:
		return gh.SetPRDraft(ctx, a.Owner, a.Repo, pr.Number, pr.NodeID, false)
	}
	return nil
}

// openPR opens the upgrade pull request on the slot h holds, records it
// and labels it.
func (w *Workflow) openPR(ctx context.Context, gh GitHub, a RepoArgs, f facts, h *hold, title, body string, conflicts int) (*github.PR, error) {
	upBranch := Branch(f.name)
	made, err := gh.CreatePR(ctx, a.Owner, a.Repo, github.NewPR{Title: title, Body: body, Head: upBranch, Base: f.branch, Draft: conflicts > 0})
	if err != nil && !errors.Is(err, github.ErrValidation) && !errors.Is(err, github.ErrNotFound) && !errors.Is(err, github.ErrConflict) {
		// Opened, or maybe opened (no clear answer): the reservation
		// keeps counting until it is confirmed or expires.
		h.release = false
	}
	if errors.Is(err, github.ErrAlreadyExists) {
		// Opened by an earlier attempt whose answer was lost.
		if made, err = gh.FindPR(ctx, a.Owner, a.Repo, upBranch); err == nil && made != nil {
			_, err = gh.UpdatePR(ctx, a.Owner, a.Repo, made.Number, github.PRUpdate{Title: &title, Body: &body})
		}
	}
	if err != nil {
		return nil, err
	}
	if made == nil {
		return nil, fmt.Errorf("opening the upgrade pull request of %s/%s: not found after GitHub said it exists", a.Owner, a.Repo)
	}
	// Recorded at once with when it was opened, the reservation turned
	// into an opening in the same transaction (prHourlyLimit counts it
	// from the index), before anything else can fail and leave a retry
	// to find it open.
	rec := fleet.UpgradePR{Owner: a.Owner, Name: a.Repo, Template: f.name, TargetVersion: f.target.String(), Number: made.Number,
		State: fleet.PROpen, Conflicts: conflicts, OpenedAt: w.cfg.Now()}
	h.release = false // opened: if the confirmation fails, the reservation counts until it expires
	if err := w.cfg.Fleet.ConfirmPRSlot(ctx, h.slot, rec); err != nil {
		return nil, err
	}
	if err := gh.AddLabels(ctx, a.Owner, a.Repo, made.Number, []string{Label}); err != nil {
		return nil, err
	}
	return made, nil
}
