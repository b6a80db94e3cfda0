package adoption

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/adopt"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/queue/job"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

// AdoptRepo is the job of one repository of one request: inspect (its
// default branch's tree, the two or three small files inference reads, the
// branch's pull request), decide, and apply (one commit, one pull request
// opened or updated). Idempotent: a retry after any failure converges on
// the same branch, pull request and row.
func (w *Workflow) AdoptRepo(ctx context.Context, a RepoArgs) error {
	// The upgrade workflow's key: an adoption and an upgrade of one
	// repository take turns.
	unlock, err := w.cfg.Locks.Lock(ctx, upgrade.RepoLockKey(a.Org, a.Repo))
	if err != nil {
		return err
	}
	defer unlock()
	row, err := w.cfg.Store.Get(ctx, a.Org, a.TemplatesRepo, a.Issue, a.Repo)
	if errors.Is(err, ErrNoRow) {
		return nil
	}
	if err != nil {
		return err
	}
	if (a.Cause == CauseIssue && row.Final()) || (a.Cause == CauseTag && row.State != Open) {
		return nil // done by an earlier run, or no longer open
	}
	name, target, ok := template.ParseTag(a.Tag)
	if !ok {
		return job.Permanent(fmt.Errorf("adopting %s/%s: %q is not a template version tag", a.Org, a.Repo, a.Tag))
	}
	// A request's repository most likely gets a new pull request: its slot
	// under the limits is taken before anything is read, so a job that must
	// wait for the limits costs no request to GitHub.
	h := &hold{}
	if a.Cause == CauseIssue {
		if err := w.reserve(ctx, a, h, name, target); err != nil {
			return err
		}
	}
	defer w.release(ctx, h)
	gh, err := w.cfg.Client(ctx, a.InstallationID)
	if err != nil {
		return err
	}
	f, err := w.inspect(ctx, gh, a, row, name, target)
	if err != nil {
		return err
	}
	next, err := w.apply(ctx, gh, a, f, decide(f), h)
	if err != nil {
		return err
	}
	if next != row {
		if err := w.cfg.Store.Set(ctx, next); err != nil {
			return err
		}
	}
	return w.cfg.Queue.EnqueueComment(ctx, CommentArgs{InstallationID: a.InstallationID, Org: a.Org, TemplatesRepo: a.TemplatesRepo, Issue: a.Issue})
}

// facts is what inspect read about one repository.
type facts struct {
	row    Row
	name   string
	target *semver.Version
	head   string // the default branch's commit; "" when it has none
	// recorded: the repository's .goldenpath.yml, when it has one.
	recorded []byte
	answers  *adopt.Result
	plan     *adopt.Plan
	broken   error // the template does not load or render
	pr       *github.PR
	meta     upgrade.Meta
	owned    bool   // every commit on the pull request's branch is the bot's
	who      string // who else committed there
}

// inspect reads what decide needs, stopping at the first fact that ends
// the matter. Requests: the branch's head, its tree, one blob per file
// inference reads (catalog-info.yaml, CODEOWNERS), the branch's pull
// request, and its commits only when the pull request's head is not the
// bot's last commit. The template comes from the shared templates cache.
func (w *Workflow) inspect(ctx context.Context, gh GitHub, a RepoArgs, row Row, name string, target *semver.Version) (facts, error) {
	f := facts{row: row, name: name, target: target}
	head, err := gh.ResolveRef(ctx, a.Org, a.Repo, row.DefaultBranch)
	if errors.Is(err, github.ErrNotFound) || errors.Is(err, github.ErrConflict) {
		return f, nil // gone, or empty
	}
	if err != nil {
		return f, err
	}
	f.head = head
	tree, err := gh.ListTree(ctx, a.Org, a.Repo, head)
	if err != nil {
		return f, err
	}
	if e, ok := tree[template.AnswersFileName]; ok {
		f.recorded, err = gh.GetBlob(ctx, a.Org, a.Repo, e.SHA)
		return f, err
	}
	inputs := map[string][]byte{}
	for _, p := range adopt.InputPaths(func(p string) bool { _, ok := tree[p]; return ok }) {
		if inputs[p], err = gh.GetBlob(ctx, a.Org, a.Repo, tree[p].SHA); err != nil {
			return f, err
		}
	}
	t, err := w.cfg.Templates.Repo(gh, a.Org, a.TemplatesRepo).At(ctx, a.Tag)
	if errors.As(err, new(*templatesrc.BrokenError)) {
		f.broken = err
		return f, nil
	}
	if err != nil {
		return f, err
	}
	var given map[string]any
	if len(a.Given) > 0 {
		if err := json.Unmarshal(a.Given, &given); err != nil {
			return f, job.Permanent(fmt.Errorf("adopting %s/%s: decoding the given answers: %w", a.Org, a.Repo, err))
		}
	}
	in := adopt.Input{Manifest: t.Manifest, Org: a.Org, Name: a.Repo, Description: row.Description, Files: inputs, Given: given}
	res := adopt.Infer(in)
	if needsTeams(res) {
		// Only now: the one team with admin or maintain permission is the
		// last source of `owner`.
		if in.AdminTeams, err = gh.AdminTeams(ctx, a.Org, a.Repo); err != nil {
			return f, err
		}
		res = adopt.Infer(in)
	}
	f.answers = &res
	if len(res.Problems) > 0 {
		return f, nil
	}
	if f.plan, f.broken = w.plan(ctx, t, a, row, tree, res.Answers, target); f.broken != nil {
		if ctx.Err() != nil {
			// Cancelled mid-render: the template is not broken; retry.
			return f, fmt.Errorf("adopting %s/%s: %w", a.Org, a.Repo, f.broken)
		}
		return f, nil
	}
	if f.pr, err = gh.FindPR(ctx, a.Org, a.Repo, upgrade.Branch(name)); err != nil || f.pr == nil {
		return f, err
	}
	f.meta, _ = upgrade.ParseMeta(f.pr.Body)
	if f.pr.State == "open" && f.pr.HeadSHA != f.meta.Commit {
		f.owned, f.who, err = w.cfg.Upgrades.BranchIsOurs(ctx, gh, a.Org, a.Repo, head, f.pr.HeadSHA)
	}
	return f, err
}

// needsTeams: `owner` could not be inferred from the repository's files;
// its teams are the last place to look.
func needsTeams(res adopt.Result) bool {
	for _, p := range res.Problems {
		if p.Param == "owner" {
			return true
		}
	}
	return false
}

// plan renders the template with the answers and compares it with the
// repository's tree by blob SHA.
func (w *Workflow) plan(ctx context.Context, t *template.Template, a RepoArgs, row Row, tree map[string]github.TreeEntry, answers template.Answers, target *semver.Version) (*adopt.Plan, error) {
	files, err := template.RenderCtx(ctx, t, answers, template.RenderContext{Org: a.Org, Timeout: w.cfg.RenderTimeout})
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", a.Tag, err)
	}
	shas := make(map[string]string, len(tree))
	for p, e := range tree {
		shas[p] = e.SHA
	}
	return adopt.NewPlan(adopt.PlanInput{Rendered: files, Tree: shas, AnswersFile: template.AnswersFile{
		Template: t.Manifest.Name, Version: target.String(), Source: a.Org + "/" + a.TemplatesRepo, Answers: answers, Request: row.IssueURL,
	}})
}

// action is what apply does.
type action int

const (
	actRecord action = iota // only the row changes
	actOpen                 // commit, then open the pull request under the limits
	actUpdate               // commit over the bot's own branch, update the open pull request
)

// decision is decide's answer: the action and the row it leaves.
type decision struct {
	act action
	row Row
}

// decide is the adoption's logic, apart from every read and write.
func decide(f facts) decision {
	r := f.row
	set := func(state, reason string) decision {
		r.State, r.Reason = state, reason
		return decision{act: actRecord, row: r}
	}
	switch {
	case f.head == "":
		return set(Skipped, "its default branch has no commits, or is gone")
	case f.recorded != nil:
		if r.State == Open && r.PR != 0 {
			if af, err := template.ParseAnswersFile(f.recorded); err == nil && af.Template == f.name {
				return set(Merged, "")
			}
		}
		return set(Skipped, adopt.Recorded(f.recorded, f.name))
	case f.broken != nil:
		return set(Failed, fmt.Sprintf("the template %s does not render for it: %v", f.name, f.broken))
	case len(f.answers.Problems) > 0:
		lines := make([]string, len(f.answers.Problems))
		for i, p := range f.answers.Problems {
			lines[i] = fmt.Sprintf("`%s`: %s", p.Param, p.Message)
		}
		return set(Failed, "answers could not be inferred: "+strings.Join(lines, "; ")+" (give them in the issue, or in the repository's catalog-info.yaml or CODEOWNERS)")
	}
	r.Version, r.Reason = f.target.String(), ""
	pr := f.pr
	switch {
	case pr == nil || (pr.State != "open" && (pr.Merged || pr.Number != r.PR)):
		// None, or one of an earlier request: a new pull request.
		r.State, r.PR = Open, 0
		return decision{act: actOpen, row: r}
	case pr.State != "open":
		return set(Closed, closedReason(pr.Number))
	}
	r.PR = pr.Number
	switch {
	case pr.HeadSHA != f.meta.Commit && !f.owned:
		r.State, r.Reason = Blocked, fmt.Sprintf("%s pushed to %s: goldenpath never force-pushes over a person's commits", f.who, upgrade.Branch(f.name))
		return decision{act: actRecord, row: r}
	case f.meta.To == f.target.String() && f.meta.Base == f.head && pr.HeadSHA == f.meta.Commit:
		r.State = Open
		return decision{act: actRecord, row: r}
	}
	r.State = Open
	return decision{act: actUpdate, row: r}
}

// closedReason is a row's reason once its pull request was closed unmerged.
func closedReason(number int) string {
	return fmt.Sprintf("pull request #%d was closed without merging: not reopened; a new adoption request may propose it again", number)
}

// apply carries out d and returns the row as it now stands.
func (w *Workflow) apply(ctx context.Context, gh GitHub, a RepoArgs, f facts, d decision, h *hold) (Row, error) {
	r := d.row
	if d.act == actRecord {
		if r.State != f.row.State {
			w.cfg.Logger.Info("adoption row", slog.String("repo", a.Org+"/"+a.Repo), slog.String("state", r.State), slog.String("reason", r.Reason))
		}
		if r.State == Open && r.PR != 0 && f.row.PR == 0 {
			// Opened by an earlier attempt whose answer was lost: the
			// opening counts under the limits from now, on this job's slot.
			return r, w.confirm(ctx, a, f, r.PR, h)
		}
		return r, nil
	}
	changes := make(map[string]*github.File, len(f.plan.Add)+1)
	for _, file := range f.plan.Writes() {
		changes[file.Path] = &github.File{Data: file.Data, Mode: file.Mode}
	}
	title := Title(f.name, f.target.String())
	msg := title + "\n\nAdds the files of the golden path the repository lacks and " + template.AnswersFileName + "; changes nothing it has.\n\nRequested in " + r.IssueURL
	branch := upgrade.Branch(f.name)
	meta := upgrade.Meta{Template: f.name, To: f.target.String(), Source: a.Org + "/" + a.TemplatesRepo, Base: f.head}
	if d.act == actUpdate {
		sha, err := gh.CommitFiles(ctx, a.Org, a.Repo, branch, f.head, changes, msg, true)
		if err != nil {
			return r, err
		}
		meta.Commit = sha
		body := Body(f.plan, r.IssueURL, meta)
		if _, err := gh.UpdatePR(ctx, a.Org, a.Repo, r.PR, github.PRUpdate{Title: &title, Body: &body}); err != nil {
			return r, err
		}
		return r, w.record(ctx, a, f, r.PR)
	}
	return w.open(ctx, gh, a, f, r, changes, msg, meta, h)
}

// OnDiscard records a repository job that failed for good as a failed row
// with its last error, so the issue's comment says so and the issue can
// close. Wire it as the queue's discard callback of RepoKind.
func (w *Workflow) OnDiscard(ctx context.Context, a RepoArgs, cause error) {
	row, err := w.cfg.Store.Get(ctx, a.Org, a.TemplatesRepo, a.Issue, a.Repo)
	if err != nil || (a.Cause == CauseIssue && row.Final()) {
		return
	}
	row.State, row.Reason = Failed, "goldenpath gave up after several attempts: "+cause.Error()
	if err := w.cfg.Store.Set(ctx, row); err != nil {
		w.cfg.Logger.Error("recording an adoption failure", slog.Any("error", err))
		return
	}
	_ = w.cfg.Queue.EnqueueComment(ctx, CommentArgs{InstallationID: a.InstallationID, Org: a.Org, TemplatesRepo: a.TemplatesRepo, Issue: a.Issue})
}
