package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/goldenpath-dev/goldenpath/internal/lint"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// runForms writes (or with --check verifies) .github/ISSUE_TEMPLATE/new-<name>.yml
// and adopt-<name>.yml for every template of a templates repository.
func runForms(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("forms", "[flags] [ROOT]\n\n"+rootHelp+
		"\nWrites .github/ISSUE_TEMPLATE/new-<name>.yml (request a new repository) and\n"+
		"adopt-<name>.yml (bring existing repositories onto the template) for every\n"+
		"template, and removes such forms whose template is gone.", stderr)
	check := flags.Bool("check", false, "write nothing; exit 1 if a form is missing or out of date")
	rest, err := parseInterspersed(flags, args)
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
	if root.RepoDir == "" {
		return fmt.Errorf("%s is a folder of templates outside a templates repository; run forms on the repository root that holds templates/", dir)
	}
	templates, err := template.LoadRepo(root.Templates)
	if err != nil {
		return fmt.Errorf("loading the templates: %w", err)
	}

	if *check {
		findings := lint.CheckForms(root.FormsFS(), templates)
		for _, f := range findings {
			fmt.Fprintln(stderr, f)
		}
		if len(findings) > 0 {
			return exitError{code: 1, msg: fmt.Sprintf("%d %s out of date; run 'goldenpath forms %s'", len(findings), plural(len(findings), "form is", "forms are"), dir)}
		}
		n := 2 * len(templates) // a request form and an adoption form each
		fmt.Fprintf(stdout, "%d issue %s up to date\n", n, plural(n, "form", "forms"))
		return nil
	}

	forms, err := lint.Forms(templates)
	if err != nil {
		return err
	}
	for _, p := range sortedKeys(forms) {
		dst := filepath.Join(root.RepoDir, filepath.FromSlash(p))
		old, err := os.ReadFile(dst)
		if err == nil && bytes.Equal(old, forms[p]) {
			continue
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("reading %s: %w", dst, err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", filepath.Dir(dst), err)
		}
		if err := os.WriteFile(dst, forms[p], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", dst, err)
		}
		fmt.Fprintf(stdout, "wrote %s\n", p)
	}
	// Forms of renamed or deleted templates would offer requests the bot
	// cannot serve.
	for _, p := range lint.OrphanForms(root.FormsFS(), templates) {
		if err := os.Remove(filepath.Join(root.RepoDir, filepath.FromSlash(p))); err != nil {
			return fmt.Errorf("removing %s: %w", p, err)
		}
		fmt.Fprintf(stdout, "removed %s (no such template)\n", p)
	}
	return nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
