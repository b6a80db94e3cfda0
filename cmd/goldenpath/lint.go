package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/goldenpath-dev/goldenpath/internal/lint"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// runLint checks a templates repository; findings go to stderr, one per line.
func runLint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("lint", "[flags] [ROOT]\n\n"+rootHelp+
		"\nChecks: manifests; every template renders with its examples (and with every\n"+
		"boolean flipped); rendered catalog-info.yaml follows Backstage's rules;\n"+
		"rendered workflows pass actionlint; rendered Dockerfiles parse; issue forms\n"+
		"are in sync. Findings go to stderr as file:line: message; exit status 1 if any.", stderr)
	org := fs.String("org", lint.DefaultOrg, "organisation the example renders pretend to live in")
	renderTimeout := fs.Duration("render-timeout", template.DefaultRenderTimeout, "stop an example render that takes longer (a template that loops)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	dir, err := oneRoot(rest)
	if err != nil {
		return err
	}
	root, err := lint.OpenRoot(dir)
	if err != nil {
		return err
	}
	findings := lint.Lint(ctx, root.Templates, lint.Options{Org: *org, Forms: root.FormsFS(), RenderTimeout: *renderTimeout})
	for _, f := range findings {
		fmt.Fprintln(stderr, f)
	}
	if len(findings) > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d %s in %s", len(findings), plural(len(findings), "problem", "problems"), dir)}
	}
	note := ""
	if root.RepoDir == "" {
		note = " (a folder of templates, not a repository: issue forms not checked)"
	}
	fmt.Fprintf(stdout, "%s: ok%s\n", dir, note)
	return nil
}

// rootHelp explains the ROOT argument of lint and forms.
const rootHelp = `ROOT (default .) is a templates repository, holding ROOT/templates/<name>/template.yaml
and ROOT/.github/ISSUE_TEMPLATE/, or a folder of templates, holding
ROOT/<name>/template.yaml (then issue forms are checked only if the folder is
named templates and its parent has .github/ISSUE_TEMPLATE/).
`

// oneRoot returns the optional ROOT argument, "." by default.
func oneRoot(args []string) (string, error) {
	switch len(args) {
	case 0:
		return ".", nil
	case 1:
		return args[0], nil
	}
	return "", exitError{code: 2, msg: fmt.Sprintf("takes at most one ROOT, got %d arguments", len(args))}
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("lint ROOT --org x" as well as "lint --org x ROOT"), which the
// standard flag package stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
