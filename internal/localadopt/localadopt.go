// Package localadopt is `goldenpath adopt`: the adoption a pull request
// would bring (SPEC §6), applied to a local git checkout. It reads the
// checkout, lets package adopt infer the answers and plan the files, and
// writes the files the checkout lacks plus .goldenpath.yml; nothing the
// checkout has is changed. The checkout must be clean, so `git status`
// shows exactly the adoption.
package localadopt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/adopt"
	"github.com/goldenpath-dev/goldenpath/internal/gitobject"
	"github.com/goldenpath-dev/goldenpath/internal/localupgrade"
	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// DefaultTemplatesRepo is the templates repository recorded when the
// clone's own remote does not name one (the bot's TEMPLATES_REPO default).
const DefaultTemplatesRepo = "golden-paths"

// Options say what to adopt.
type Options struct {
	// Dir is the checkout.
	Dir string
	// Template is the template to adopt, at Version.
	Template *template.Template
	Version  *semver.Version
	// SourceDir is the local clone the template came from, if any: its
	// origin names the templates repository recorded in .goldenpath.yml.
	SourceDir string
	// Org and Name are the checkout's account and repository; empty: read
	// from its origin remote (the name falls back to the folder's name).
	Org, Name string
	// Given are answers given on the command line (--set), by parameter id.
	Given map[string]any
	// DryRun computes the adoption without writing anything.
	DryRun bool
}

// Result says what the adoption did.
type Result struct {
	Org, Name string
	Answers   template.Answers
	// Sources say where each answer came from (see adopt.Result).
	Sources map[string]string
	Plan    *adopt.Plan
	// Written lists the paths written, in order.
	Written []string
}

// InferenceError lists every answer that could not be inferred or is not
// valid: nothing was written.
type InferenceError struct {
	Name     string
	Problems []template.Problem
}

func (e *InferenceError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  " + p.Param + " (" + p.Title + "): " + p.Message
	}
	return fmt.Sprintf("%d %s for %s could not be inferred or %s not valid; give %s with --set id=value:\n%s",
		len(lines), plural(len(lines), "answer", "answers"), e.Name, plural(len(lines), "is", "are"),
		plural(len(lines), "it", "them"), strings.Join(lines, "\n"))
}

// Run adopts the checkout at opts.Dir.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Dir == "" {
		opts.Dir = "."
	}
	if opts.Template == nil || opts.Version == nil {
		return nil, errors.New("adopting: a template and its version are required")
	}
	name := opts.Template.Manifest.Name
	if err := localupgrade.CheckClean(ctx, opts.Dir, "adoption"); err != nil {
		return nil, err
	}
	ours, err := localupgrade.ReadWorkTree(ctx, opts.Dir)
	if err != nil {
		return nil, err
	}
	if af, ok := ours[template.AnswersFileName]; ok {
		return nil, fmt.Errorf("%s cannot adopt %s: %s", opts.Dir, name, adopt.Recorded(af.Data, name))
	}
	res := &Result{Org: opts.Org, Name: opts.Name}
	if res.Org == "" || res.Name == "" {
		org, repo := remoteRepo(ctx, opts.Dir)
		if res.Org == "" {
			res.Org = org
		}
		if res.Name == "" {
			res.Name = repo
		}
	}
	if res.Name == "" {
		abs, err := filepath.Abs(opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("finding the name of %s: %w", opts.Dir, err)
		}
		res.Name = filepath.Base(abs)
	}
	if res.Org == "" {
		return nil, fmt.Errorf("%s has no origin remote on a GitHub-like host to tell its organisation; pass --org", opts.Dir)
	}

	inferred := adopt.Infer(adopt.Input{
		Manifest: opts.Template.Manifest, Org: res.Org, Name: res.Name,
		Files: inputFiles(ours), Given: opts.Given,
	})
	if len(inferred.Problems) > 0 {
		return nil, &InferenceError{Name: res.Name, Problems: inferred.Problems}
	}
	res.Answers, res.Sources = inferred.Answers, inferred.Sources

	files, err := template.Render(opts.Template, res.Answers, template.RenderContext{Org: res.Org})
	if err != nil {
		return nil, fmt.Errorf("rendering %s v%s: %w", name, opts.Version, err)
	}
	tree := make(map[string]string, len(ours))
	for p, f := range ours {
		tree[p] = gitobject.BlobSHA(f.Data) // a symbolic link's blob is its target, as ReadWorkTree gives it
	}
	res.Plan, err = adopt.NewPlan(adopt.PlanInput{Rendered: files, Tree: tree, AnswersFile: template.AnswersFile{
		Template: name, Version: opts.Version.String(), Source: templatesRepo(ctx, opts.SourceDir, res.Org), Answers: res.Answers,
	}})
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		return res, nil
	}
	for _, f := range res.Plan.Writes() {
		if err := localupgrade.WriteFile(opts.Dir, f.Path, &merge.FileEntry{Data: f.Data, Mode: f.Mode}); err != nil {
			return res, err
		}
		res.Written = append(res.Written, f.Path)
	}
	return res, nil
}

// inputFiles are the files of the checkout that inference reads.
func inputFiles(ours merge.Tree) map[string][]byte {
	out := map[string][]byte{}
	for _, p := range adopt.InputPaths(func(p string) bool { _, ok := ours[p]; return ok }) {
		out[p] = ours[p].Data
	}
	return out
}

// remoteRepo reads the account and repository of the checkout's origin
// remote (https://HOST/org/name.git, git@HOST:org/name.git,
// ssh://git@HOST/org/name); empty when there is none.
func remoteRepo(ctx context.Context, dir string) (org, name string) {
	out, err := localupgrade.Git(ctx, dir, "remote", "get-url", "origin")
	if err != nil {
		return "", ""
	}
	return parseRemote(strings.TrimSpace(string(out)))
}

func parseRemote(remote string) (org, name string) {
	p := remote
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.Host != "" {
		p = u.Path
	} else if _, after, ok := strings.Cut(remote, ":"); ok && !strings.Contains(remote, "://") {
		p = after // scp-like: git@HOST:org/name.git
	} else {
		return "", ""
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) < 2 {
		return "", ""
	}
	return parts[len(parts)-2], strings.TrimSuffix(parts[len(parts)-1], ".git")
}

// templatesRepo is the templates repository recorded in .goldenpath.yml:
// the origin of the clone the template came from, else org/golden-paths.
func templatesRepo(ctx context.Context, sourceDir, org string) string {
	if sourceDir != "" {
		if o, n := remoteRepo(ctx, sourceDir); o != "" && n != "" {
			return o + "/" + n
		}
	}
	return org + "/" + DefaultTemplatesRepo
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
