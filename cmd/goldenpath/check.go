package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/check"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// checkOutdatedExit is the exit status of a check that found a newer
// version or drifted files: distinct from 1 (the check could not be done).
const checkOutdatedExit = 2

// runCheck tells a generated repository's CI whether a newer template
// version waits and which rendered files drifted (like `cruft check`).
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("check", "[--source PATH] [DIR]", stderr)
	source := flags.String("source", "", "`PATH` of a local clone of the templates repository (default: read the source recorded in "+template.AnswersFileName+" from GitHub with GITHUB_TOKEN)")
	baseUsage := flags.Usage
	flags.Usage = func() {
		baseUsage()
		fmt.Fprintf(stderr, `
DIR (default: the current folder) holds %s. The templates come from
--source, or from GitHub: the repository its "source" names, read with the
token in GITHUB_TOKEN at GITHUB_API_URL (default %s; GitHub
Enterprise Server: https://HOST/api/v3).

Exit status: 0 on the newest released version and no file drifted, %d a
newer version waits or files differ from the render of the recorded version
and answers (each listed), 1 the check could not be done.
`, template.AnswersFileName, github.DefaultBaseURL, checkOutdatedExit)
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 1 {
		return exitError{code: 1, msg: fmt.Sprintf("unexpected argument %q; see 'goldenpath check --help'", flags.Arg(1))}
	}
	dir := "."
	if flags.NArg() == 1 {
		dir = flags.Arg(0)
	}
	af, err := check.ReadAnswers(dir)
	if err != nil {
		return err
	}
	src, err := checkSource(*source, af.Source)
	if err != nil {
		return err
	}
	res, err := check.Run(ctx, dir, af, src)
	if err != nil {
		return err
	}
	return reportCheck(stdout, res)
}

// checkSource is the templates reader: the local clone, or GitHub.
func checkSource(clone, recorded string) (templatesrc.Reader, error) {
	if clone != "" {
		return templatesrc.Git{Dir: clone}, nil
	}
	owner, repo, ok := strings.Cut(recorded, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("%s records source %q, not owner/repository: pass --source", template.AnswersFileName, recorded)
	}
	token := os.Getenv("GITHUB_TOKEN")
	if token == "" {
		return nil, fmt.Errorf("GITHUB_TOKEN is not set: it is needed to read %s from GitHub (or pass --source with a local clone)", recorded)
	}
	gh, err := github.NewTokenClient(github.TokenConfig{Token: token, BaseURL: os.Getenv("GITHUB_API_URL")})
	if err != nil {
		return nil, err
	}
	return templatesrc.New(templatesrc.Options{}).Repo(gh, owner, repo), nil
}

func reportCheck(stdout io.Writer, res *check.Result) error {
	if res.Behind() {
		fmt.Fprintf(stdout, "%s v%s is available; this repository is on v%s. Run 'goldenpath upgrade' or merge the upgrade pull request.\n",
			res.Template, res.Latest, res.Version)
	} else {
		fmt.Fprintf(stdout, "On the newest version of %s (v%s).\n", res.Template, res.Version)
	}
	if len(res.Drift) > 0 {
		fmt.Fprintf(stdout, "%d file(s) differ from the render of %s v%s with this repository's answers:\n", len(res.Drift), res.Template, res.Version)
		for _, f := range res.Drift {
			fmt.Fprintf(stdout, "  %s: %s\n", f.Path, f.Summary())
		}
	} else {
		fmt.Fprintln(stdout, "No file drifted from the golden path.")
	}
	if res.OK() {
		return nil
	}
	return exitError{code: checkOutdatedExit}
}
