package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/localadopt"
	"github.com/goldenpath-dev/goldenpath/internal/localupgrade"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade/prepare"
)

// runAdopt brings an existing local checkout onto a golden path: the same
// adoption as the bot's pull request, written into the work tree.
func runAdopt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("adopt", "--template NAME [--source PATH] [--to VERSION] [--set id=value ...] [DIR]", stderr)
	name := flags.String("template", "", "`NAME` of the template in --source; without --source, a template folder or a built-in template's name")
	source := flags.String("source", "", "`PATH` of a local clone of the templates repository, read at its tags <template>/vX.Y.Z with git")
	to := flags.String("to", "", "`VERSION` to adopt, e.g. 1.2.0 (default: the highest released version tagged in --source; 0.0.0-dev for a folder)")
	var sets setFlags
	flags.Var(&sets, "set", "answer one parameter for this repository, `id=value` (repeatable; wins over what is inferred)")
	org := flags.String("org", "", "the repository's organisation (default: read from the origin remote)")
	dryRun := flags.Bool("dry-run", false, "print what the adoption would do and write nothing")
	baseUsage := flags.Usage
	flags.Usage = func() {
		baseUsage()
		fmt.Fprintf(stderr, `
DIR (default: the current folder) is a clean git checkout of a repository made
without goldenpath. Its answers are inferred: name from the origin remote (or
the folder), owner from catalog-info.yaml spec.owner or the first @org/team on
the * line of CODEOWNERS, system and lifecycle from catalog-info.yaml, else the
template's defaults; --set gives the others (description, for one). Then every
rendered file the checkout lacks is written, with %s; no file it has is
changed. Review with 'git status', then commit. Later versions come with
'goldenpath upgrade', as for a generated repository.

Exit status: 0 adopted, 1 nothing written: an answer could not be inferred
(each is named, with why), the work tree is dirty, or another error.
`, template.AnswersFileName)
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 1 {
		return exitError{code: 1, msg: fmt.Sprintf("unexpected argument %q; see 'goldenpath adopt --help'", flags.Arg(1))}
	}
	if *name == "" {
		return exitError{code: 1, msg: "--template is required; see 'goldenpath adopt --help'"}
	}
	dir := "."
	if flags.NArg() == 1 {
		dir = flags.Arg(0)
	}
	tmpl, version, err := adoptTemplate(ctx, *name, *source, *to)
	if err != nil {
		return err
	}
	given := map[string]any{}
	for _, s := range sets {
		given[s.id] = s.value
	}
	repoName, _ := given["name"].(string)
	delete(given, "name")
	res, err := localadopt.Run(ctx, localadopt.Options{
		Dir: dir, Template: tmpl, Version: version, SourceDir: *source,
		Org: *org, Name: repoName, Given: given, DryRun: *dryRun,
	})
	var ie *localadopt.InferenceError
	switch {
	case errors.As(err, &ie), errors.Is(err, localupgrade.ErrDirty):
		return exitError{code: 1, msg: err.Error()}
	case err != nil:
		return err
	}
	printAdoption(stdout, res, tmpl.Manifest.Name, version, *dryRun)
	return nil
}

// adoptTemplate loads the template: tagged in a clone, or a folder.
func adoptTemplate(ctx context.Context, name, source, to string) (*template.Template, *semver.Version, error) {
	if source != "" {
		return localupgrade.LoadTagged(ctx, source, name, to)
	}
	if to == "" {
		to = "0.0.0-dev"
	}
	v, err := prepare.ParseVersion(to)
	if err != nil {
		return nil, nil, fmt.Errorf("--to: %w", err)
	}
	t, err := loadTemplate(name)
	if err != nil {
		return nil, nil, err
	}
	return t, v, nil
}

func printAdoption(w io.Writer, res *localadopt.Result, name string, v *semver.Version, dryRun bool) {
	verb := "Adopted"
	if dryRun {
		verb = "Would adopt"
	}
	fmt.Fprintf(w, "%s the %s golden path (v%s) in %s/%s.\n", verb, name, v, res.Org, res.Name)
	ids := make([]string, 0, len(res.Answers))
	for id := range res.Answers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintln(w, "\nAnswers:")
	for _, id := range ids {
		src := res.Sources[id]
		if src == "" {
			src = "given"
		}
		fmt.Fprintf(w, "  %s: %s (%s)\n", id, oneLine(fmt.Sprint(res.Answers[id])), src)
	}
	added := make([]string, 0, len(res.Plan.Add)+1)
	for _, f := range res.Plan.Writes() {
		added = append(added, f.Path)
	}
	kept := make([]string, len(res.Plan.Kept))
	for i, k := range res.Plan.Kept {
		kept[i] = k.Path
		if k.Note != "" {
			kept[i] += ": " + k.Note
		}
	}
	printList(w, "Added", added)
	printList(w, "Kept as they are, differing from the golden path", kept)
	printList(w, "Already identical", res.Plan.Identical)
	if !dryRun {
		fmt.Fprintln(w, "\nReview with 'git status' and 'git diff', then commit.")
	}
}

func printList(w io.Writer, title string, items []string) {
	fmt.Fprintf(w, "\n%s (%d):\n", title, len(items))
	for _, it := range items {
		fmt.Fprintf(w, "  %s\n", it)
	}
}

// oneLine shows a multi-line answer on one line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 72 {
		return string(r[:72]) + "…"
	}
	return s
}
