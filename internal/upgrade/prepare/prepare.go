// Package prepare computes one template upgrade of one repository, without
// any I/O: render the old version and the new one with the recorded
// answers, merge three ways against the repository's files, and write the
// new .goldenpath.yml. Both the bot (internal/upgrade) and the local
// `goldenpath upgrade` command (internal/localupgrade) use it, so a local
// upgrade and an upgrade pull request give the same files.
package prepare

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Input is everything one upgrade needs.
type Input struct {
	Old, New *template.Template
	From, To *semver.Version
	// Answers is the repository's current .goldenpath.yml, with any answer
	// the upgrade changes already set: the new version renders with them.
	Answers template.AnswersFile
	// BaseAnswers, when not nil, are the answers the repository's files were
	// rendered with, if not those of Answers (a re-answer): the old version
	// renders with them.
	BaseAnswers map[string]any
	// Org is the account the repository lives in ({{ .goldenpath.org }}).
	Org string
	// RenderTimeout bounds each render (template.DefaultRenderTimeout when
	// zero).
	RenderTimeout time.Duration
	// Ours is the repository as it is now. Its .goldenpath.yml is ignored.
	Ours merge.Tree
}

// Result is the outcome: the plan, the new answers file and the changelog.
type Result struct {
	Plan        merge.Plan
	AnswersFile template.AnswersFile
	// Changes is one commit's worth of changes: the plan's plus the new
	// .goldenpath.yml (nil deletes a path).
	Changes   map[string]*merge.FileEntry
	Changelog string
}

// Conflicts are the files written with conflict markers (or kept as the
// repository has them, for binary files).
func (r *Result) Conflicts() []merge.FileResult { return r.Plan.Conflicts() }

// Label names the new render in conflict markers: `>>>>>>> template v1.2.0`.
func Label(to *semver.Version) string { return "template v" + to.String() }

// Upgrade computes the upgrade of in.Ours from in.From to in.To. The
// renders stop once ctx is done (the job was cancelled or timed out).
func Upgrade(ctx context.Context, in Input) (*Result, error) {
	if in.Old == nil || in.New == nil || in.From == nil || in.To == nil {
		return nil, errors.New("preparing an upgrade: templates and versions are required")
	}
	name := in.New.Manifest.Name
	baseRaw := map[string]any(in.Answers.Answers)
	if in.BaseAnswers != nil {
		baseRaw = in.BaseAnswers
	}
	oldAnswers, err := in.Old.Manifest.Validate(baseRaw)
	if err != nil {
		return nil, fmt.Errorf("checking the recorded answers against %s v%s: %w", name, in.From, err)
	}
	// A parameter the new version no longer has is dropped, as copier does;
	// one it adds takes its default, or must be answered by hand.
	raw := map[string]any{}
	for k, v := range in.Answers.Answers {
		if _, ok := in.New.Manifest.Param(k); ok {
			raw[k] = v
		}
	}
	newAnswers, err := in.New.Manifest.Validate(raw)
	if err != nil {
		return nil, fmt.Errorf("checking the recorded answers against %s v%s (add any new required answer under answers: in %s): %w",
			name, in.To, template.AnswersFileName, err)
	}
	rc := template.RenderContext{Org: in.Org, Timeout: in.RenderTimeout}
	baseFiles, err := template.RenderCtx(ctx, in.Old, oldAnswers, rc)
	if err != nil {
		return nil, fmt.Errorf("rendering %s v%s: %w", name, in.From, err)
	}
	theirsFiles, err := template.RenderCtx(ctx, in.New, newAnswers, rc)
	if err != nil {
		return nil, fmt.Errorf("rendering %s v%s: %w", name, in.To, err)
	}
	ours := maps.Clone(in.Ours)
	delete(ours, template.AnswersFileName)

	var migs []merge.Migration
	for _, m := range in.New.Manifest.MigrationsBetween(in.From, in.To) {
		mm := merge.Migration{Delete: m.Delete}
		for _, r := range m.Rename {
			mm.Rename = append(mm.Rename, merge.Rename{From: r.From, To: r.To})
		}
		migs = append(migs, mm)
	}
	plan := merge.PlanUpgrade(toTree(baseFiles), toTree(theirsFiles), ours, merge.Options{
		SkipIfExists: in.New.Manifest.Options.SkipIfExists,
		Migrations:   migs,
		TheirsLabel:  Label(in.To),
	})

	af := in.Answers
	af.Template = name
	af.Version = in.To.String()
	af.Answers = newAnswers
	changes := plan.Changes()
	changes[template.AnswersFileName] = &merge.FileEntry{Data: af.Marshal(), Mode: 0o644}
	return &Result{
		Plan:        plan,
		AnswersFile: af,
		Changes:     changes,
		Changelog:   template.ChangelogBetween(in.New.Changelog(), in.From, in.To),
	}, nil
}

func toTree(files []template.File) merge.Tree {
	t := make(merge.Tree, len(files))
	for _, f := range files {
		t[f.Path] = merge.FileEntry{Data: f.Data, Mode: f.Mode}
	}
	return t
}

// Summary lists the files a plan changes, one per line, for people:
// "update README.md", "conflict main.go (2 conflicts)".
func Summary(plan merge.Plan) []string {
	var out []string
	for _, f := range plan.Files {
		switch f.Action {
		case merge.ActionKeep, merge.ActionKeepDeleted, merge.ActionSkipExists:
			if f.Note == "" {
				continue
			}
		}
		line := string(f.Action) + " " + f.Path
		if f.Conflicts > 0 {
			line += fmt.Sprintf(" (%d conflict%s)", f.Conflicts, plural(f.Conflicts))
		}
		if f.Note != "" {
			line += ": " + f.Note
		}
		out = append(out, line)
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ChangedPaths returns the paths of changes in order.
func ChangedPaths(changes map[string]*merge.FileEntry) []string {
	return slices.Sorted(maps.Keys(changes))
}

// ParseVersion accepts "1.2.0" and "v1.2.0" (strict semver otherwise).
func ParseVersion(s string) (*semver.Version, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(strings.TrimSpace(s), "v"))
	if err != nil {
		return nil, fmt.Errorf("version %q is not semver (like 1.2.0): %w", s, err)
	}
	return v, nil
}
