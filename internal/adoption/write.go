package adoption

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/adopt"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

// open commits the adoption on its branch and opens its pull request on a
// slot reserved under the account's limits (over a limit the job waits).
// A branch left by an earlier attempt is rewritten only if every commit on
// it is the bot's.
// hold is a slot reserved under the account's limits for a new pull
// request: given back when the job ends, unless the pull request was (or
// may have been) opened; then it counts until confirmed or expired.
type hold struct {
	slot fleet.Slot
	held bool
	keep bool
}

// reserve takes a slot under the limits the request carried; over a limit
// it returns job.Retry and the job waits.
func (w *Workflow) reserve(ctx context.Context, a RepoArgs, h *hold, name string, target *semver.Version) error {
	slot, err := w.cfg.Upgrades.ReserveSlot(ctx, a.Org, a.Repo, name, target, a.PRHourlyLimit, a.PRConcurrentLimit)
	if err != nil {
		return err
	}
	h.slot, h.held = slot, true
	return nil
}

// release gives an unused slot back.
func (w *Workflow) release(ctx context.Context, h *hold) {
	if !h.held || h.keep {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := w.cfg.Fleet.ReleasePRSlot(rctx, h.slot); err != nil {
		w.cfg.Logger.Warn("giving a PR slot back; it expires by itself", slog.Any("error", err))
	}
}

// open commits the adoption on its branch and opens its pull request on the
// slot h holds (taken now if it holds none). A branch left by an earlier
// attempt is rewritten only if every commit on it is the bot's.
func (w *Workflow) open(ctx context.Context, gh GitHub, a RepoArgs, f facts, r Row, changes map[string]*github.File, msg string, meta upgrade.Meta, h *hold) (Row, error) {
	if !h.held {
		if err := w.reserve(ctx, a, h, f.name, f.target); err != nil {
			return r, err
		}
	}
	branch := upgrade.Branch(f.name)
	sha, err := gh.CommitFiles(ctx, a.Org, a.Repo, branch, f.head, changes, msg, false)
	if errors.Is(err, github.ErrNotFastForward) {
		tip, terr := gh.ResolveRef(ctx, a.Org, a.Repo, branch)
		if terr != nil {
			return r, terr
		}
		owned, who, oerr := w.cfg.Upgrades.BranchIsOurs(ctx, gh, a.Org, a.Repo, f.head, tip)
		if oerr != nil {
			return r, oerr
		}
		if !owned {
			r.State, r.Reason = Blocked, fmt.Sprintf("branch %s has commits by %s: it is never force-pushed; delete the branch to let goldenpath propose the adoption", branch, who)
			return r, nil
		}
		sha, err = gh.CommitFiles(ctx, a.Org, a.Repo, branch, f.head, changes, msg, true)
	}
	if err != nil {
		return r, err
	}
	meta.Commit = sha
	pr, kept, err := w.cfg.Upgrades.OpenPR(ctx, gh, a.Org, a.Repo, f.name, f.target, f.row.DefaultBranch, Title(f.name, f.target.String()), Body(f.plan, r.IssueURL, meta), h.slot)
	h.keep = kept
	if err != nil {
		return r, err
	}
	w.cfg.Logger.Info("adoption pull request opened", slog.String("repo", a.Org+"/"+a.Repo), slog.Int("pr", pr.Number))
	r.PR = pr.Number
	return r, nil
}

// confirm records a pull request an earlier attempt opened: on the slot h
// holds (which then keeps counting), or as a plain record without one.
func (w *Workflow) confirm(ctx context.Context, a RepoArgs, f facts, number int, h *hold) error {
	if !h.held {
		return w.record(ctx, a, f, number)
	}
	h.keep = true
	return w.cfg.Fleet.ConfirmPRSlot(ctx, h.slot, fleet.UpgradePR{Owner: a.Org, Name: a.Repo, Template: f.name, TargetVersion: f.target.String(),
		Number: number, State: fleet.PROpen, OpenedAt: time.Now()})
}

// record keeps the fleet index's view of the updated pull request.
func (w *Workflow) record(ctx context.Context, a RepoArgs, f facts, number int) error {
	return w.cfg.Fleet.SetUpgradePR(ctx, fleet.UpgradePR{Owner: a.Org, Name: a.Repo, Template: f.name, TargetVersion: f.target.String(),
		Number: number, State: fleet.PROpen})
}

// Body is the adoption pull request's description: the three lists of
// SPEC §6 and the hidden metadata the upgrade workflow reads when it is
// merged or closed.
func Body(p *adopt.Plan, issueURL string, meta upgrade.Meta) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This pull request brings the repository onto the **%s** golden path at **v%s**, as asked in %s.\n\n", meta.Template, meta.To, issueURL)
	b.WriteString("It adds the golden path's files the repository lacks and `.goldenpath.yml`, and changes nothing the repository has. Once merged, newer versions of the template arrive as upgrade pull requests.\n\n")
	list := func(title string, paths []string, empty string) {
		fmt.Fprintf(&b, "### %s (%d)\n\n", title, len(paths))
		if len(paths) == 0 {
			b.WriteString(empty + "\n\n")
			return
		}
		for _, p := range paths {
			b.WriteString("- " + p + "\n")
		}
		b.WriteString("\n")
	}
	code := func(p string) string { return "`" + p + "`" }
	var added, kept, same []string
	for _, f := range p.Writes() {
		added = append(added, code(f.Path))
	}
	for _, k := range p.Kept {
		s := code(k.Path)
		if k.Note != "" {
			s += " (" + k.Note + ")"
		}
		kept = append(kept, s)
	}
	for _, p := range p.Identical {
		same = append(same, code(p))
	}
	list("Added", added, "Nothing.")
	list("Kept as the repository has them (they differ from the golden path)", kept, "None.")
	list("Already identical to the golden path", same, "None.")
	b.WriteString(meta.Block() + "\n")
	return b.String()
}
