package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/localupgrade"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade/prepare"
)

// upgradeConflictExit is the exit status of an upgrade that left conflict
// markers: distinct from 1 (the upgrade could not be done) so scripts can
// tell "merge by hand" from "failed".
const upgradeConflictExit = 2

// runUpgrade moves a local checkout to a newer template version with the
// same 3-way merge as the upgrade pull requests (like `copier update`).
func runUpgrade(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("upgrade", "[--to VERSION] [--source PATH] [DIR]", stderr)
	to := flags.String("to", "", "`VERSION` to upgrade to, e.g. 1.2.0 (default: the highest released version tagged in --source)")
	source := flags.String("source", "", "`PATH` of a local clone of the templates repository, read at its tags <template>/vX.Y.Z with git (required)")
	dryRun := flags.Bool("dry-run", false, "print what the upgrade would do and write nothing")
	baseUsage := flags.Usage
	flags.Usage = func() {
		baseUsage()
		fmt.Fprintf(stderr, `
DIR (default: the current folder) is a clean git checkout holding %s.
The old version rendered with the recorded answers, the new version rendered
the same way and the checkout are merged three ways; files changed by both
sides get conflict markers (<<<<<<< repository / ======= / >>>>>>> template vX.Y.Z).
Review with 'git diff', then commit.

Exit status: 0 upgraded cleanly (or already up to date), %d upgraded with
conflicts to resolve by hand, 1 nothing written because of an error.
`, template.AnswersFileName, upgradeConflictExit)
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 1 {
		return exitError{code: 1, msg: fmt.Sprintf("unexpected argument %q; see 'goldenpath upgrade --help'", flags.Arg(1))}
	}
	dir := "."
	if flags.NArg() == 1 {
		dir = flags.Arg(0)
	}
	if *source == "" {
		return exitError{code: 1, msg: "--source is required: the path of a local clone of the templates repository; see 'goldenpath upgrade --help'"}
	}
	res, err := localupgrade.Run(ctx, localupgrade.Options{Dir: dir, Source: *source, To: *to, DryRun: *dryRun})
	if err != nil {
		if errors.Is(err, localupgrade.ErrDirty) {
			return exitError{code: 1, msg: err.Error()}
		}
		return err
	}
	if res.UpToDate {
		fmt.Fprintf(stdout, "%s is already on %s v%s (target v%s): nothing to do.\n", dir, res.Template, res.From, res.To)
		return nil
	}
	verb := "Upgraded"
	if *dryRun {
		verb = "Would upgrade"
	}
	fmt.Fprintf(stdout, "%s %s from v%s to v%s.\n", verb, res.Template, res.From, res.To)
	if res.Changelog != "" {
		fmt.Fprintf(stdout, "\nChangelog:\n%s\n", indent(res.Changelog))
	}
	if lines := prepare.Summary(res.Plan); len(lines) > 0 {
		fmt.Fprintf(stdout, "\nFiles:\n%s\n", indent(strings.Join(lines, "\n")))
	}
	fmt.Fprintf(stdout, "  update %s: version %s\n", template.AnswersFileName, res.To)
	if c := res.Conflicts(); len(c) > 0 {
		paths := make([]string, len(c))
		for i, f := range c {
			paths[i] = f.Path
		}
		fmt.Fprintf(stdout, "\nResolve the conflict markers in %s, then review with 'git diff' and commit.\n", strings.Join(paths, ", "))
		return exitError{code: upgradeConflictExit, msg: fmt.Sprintf("%d file(s) have conflicts", len(c))}
	}
	if !*dryRun {
		fmt.Fprintln(stdout, "\nReview with 'git diff', then commit.")
	}
	return nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}
