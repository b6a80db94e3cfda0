package ownership

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/fleetscan"
	"github.com/goldenpath-dev/goldenpath/internal/ghevent"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/mdtext"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade"
)

type pushPayload struct {
	ghevent.Envelope
	Ref        string `json:"ref"`
	Before     string `json:"before"`
	After      string `json:"after"`
	Deleted    bool   `json:"deleted"`
	HeadCommit *struct {
		Message string `json:"message"`
	} `json:"head_commit"`
}

const zeroSHA = "0000000000000000000000000000000000000000"

// InvalidAnswersMarker marks the bot's comment on a commit whose answers
// break the template's parameters.
const InvalidAnswersMarker = "answers-invalid"

// handlePush works a push to a default branch that may change
// .goldenpath.yml: reads it before and after, and answers as decidePush
// says. Requests: the file at both commits and the template (cached), plus
// the owner team's lookup and the writes it decides.
func (w *Workflow) handlePush(ctx context.Context, inst int64, p pushPayload) error {
	branch, ok := strings.CutPrefix(p.Ref, "refs/heads/")
	owner, name := p.Repository.OwnerLogin(), p.Repository.Name
	if !ok || p.Deleted || branch != p.Repository.DefaultBranch || owner == "" || name == "" || p.Sender.IsBot() {
		// The App's own push to a default branch is a repository it just
		// created with the answers it checked: the dashboard's scan reads
		// its owner.
		return nil
	}
	gh, err := w.cfg.Client(ctx, inst)
	if err != nil {
		return err
	}
	var f pushFacts
	if f.after, f.afterErr, err = readAnswers(ctx, gh, owner, name, p.After); err != nil {
		return err
	}
	if p.Before != "" && p.Before != zeroSHA {
		before, perr, err := readAnswers(ctx, gh, owner, name, p.Before)
		if err != nil {
			return err
		}
		if perr == nil {
			f.before = before
		}
	}
	srcOwner, srcRepo := w.source(owner, f.after)
	if f.after != nil {
		if err := w.checkAnswers(ctx, gh, srcOwner, srcRepo, &f); err != nil {
			return err
		}
	}
	f.merged = p.HeadCommit != nil && mergesOwnPR(p.HeadCommit.Message, owner, upgrade.BranchPrefix)
	log := w.cfg.Logger.With(slog.String("repo", owner+"/"+name), slog.String("commit", p.After))
	v := decidePush(f)
	switch v {
	case doNothing:
		return nil
	case doComment:
		log.Info("new answers are invalid: commenting on the commit")
		return gh.CommentOnCommit(ctx, owner, name, p.After, InvalidAnswersMarker, invalidBody(f))
	}
	r := fleet.Repo{InstallationID: inst, Owner: owner, Name: name, Template: f.after.Template, Version: f.after.Version, DefaultBranch: branch, Request: f.after.Request}
	prev, err := w.cfg.Fleet.Get(ctx, owner, name)
	if err != nil && !errors.Is(err, fleet.ErrNotFound) {
		return err
	}
	if r, err = fleetscan.Record(ctx, gh, w.cfg.Fleet, r, *f.after); err != nil {
		return err
	}
	if v == doReanswer {
		log.Info("answers changed: queueing the pull request that applies them")
		short := p.After
		if len(short) > 7 {
			short = short[:7]
		}
		change := upgrade.AnswersChange{Base: f.before.Answers,
			Reason: fmt.Sprintf("The answers in `%s` changed on `%s` (%s): the files rendered from them follow.", template.AnswersFileName, branch, short)}
		if err := w.enqueue(ctx, gh, inst, r, srcOwner, srcRepo, f.after.Version, "answers:"+p.After, change); err != nil {
			return err
		}
	}
	if sameOwner(prev.Ownership, r.Ownership) {
		return nil // the dashboard shows nothing new
	}
	return w.cfg.Upgrades.EnqueueDashboard(ctx, upgrade.DashboardArgs{InstallationID: inst, Owner: srcOwner, TemplatesRepo: srcRepo})
}

// sameOwner reports whether the dashboard shows a and b alike.
func sameOwner(a, b fleet.Ownership) bool {
	return a.Team == b.Team && a.TeamID == b.TeamID && a.System == b.System && a.Lifecycle == b.Lifecycle
}

// source is the templates repository af names, else the account's.
func (w *Workflow) source(owner string, af *template.AnswersFile) (string, string) {
	if af != nil {
		if o, r, ok := strings.Cut(af.Source, "/"); ok && o != "" && r != "" && !strings.Contains(r, "/") {
			return o, r
		}
	}
	return owner, w.cfg.TemplatesRepo
}

// readAnswers reads .goldenpath.yml at ref: nil when absent, perr when it
// does not parse, err when it could not be read.
func readAnswers(ctx context.Context, gh GitHub, owner, name, ref string) (af *template.AnswersFile, perr, err error) {
	data, _, err := gh.GetFile(ctx, owner, name, template.AnswersFileName, ref)
	if errors.Is(err, github.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	parsed, perr := template.ParseAnswersFile(data)
	if perr != nil {
		return nil, perr, nil
	}
	return &parsed, nil, nil
}

// checkAnswers validates f.after's answers against the template at the
// version it records, into f.problems, and compares them with f.before's.
func (w *Workflow) checkAnswers(ctx context.Context, gh GitHub, srcOwner, srcRepo string, f *pushFacts) error {
	af := f.after
	tag := af.Template + "/v" + strings.TrimPrefix(af.Version, "v")
	if _, _, ok := template.ParseTag(tag); !ok {
		f.problems = append(f.problems, "`version`: "+oneLine(fmt.Sprintf("%q is not a version of the template (X.Y.Z)", af.Version)))
		return nil
	}
	t, err := w.cfg.Templates.Repo(gh, srcOwner, srcRepo).At(ctx, tag)
	var broken *templatesrc.BrokenError
	switch {
	case errors.As(err, &broken), errors.Is(err, github.ErrNotFound):
		f.problems = append(f.problems, "`template`: "+oneLine(fmt.Sprintf("%s v%s cannot be read from %s/%s: %v", af.Template, af.Version, srcOwner, srcRepo, err)))
		return nil
	case err != nil:
		return err
	}
	if _, err := t.Manifest.Validate(af.Answers); err != nil {
		var verr *template.ValidationError
		if !errors.As(err, &verr) {
			return err
		}
		for _, p := range verr.Problems {
			f.problems = append(f.problems, mdtext.Code(p.Param)+" ("+oneLine(p.Title)+"): "+oneLine(p.Message))
		}
		return nil
	}
	f.equal = f.before != nil && sameAnswers(t, f.before.Answers, af.Answers)
	return nil
}

// invalidBody is the comment on a commit whose answers cannot be applied.
func invalidBody(f pushFacts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "goldenpath cannot apply the answers in `%s` of this commit, so no pull request follows them:\n\n", template.AnswersFileName)
	if f.afterErr != nil {
		fmt.Fprintf(&b, "- %s\n", oneLine(f.afterErr.Error()))
	}
	for _, p := range f.problems {
		fmt.Fprintf(&b, "- %s\n", p) // escaped when found
	}
	fmt.Fprintf(&b, "\nFix `%s` on the default branch: the next push that makes them valid brings the pull request.\n", template.AnswersFileName)
	return b.String()
}

// oneLine shows a problem (which may quote the answers) as plain text.
func oneLine(s string) string {
	return mdtext.Cut(mdtext.Escape(strings.Join(strings.Fields(s), " ")), 500)
}
