// Package localupgrade is `goldenpath upgrade`: the upgrade an upgrade pull
// request would bring, applied to a local checkout, as `copier update` does.
// The templates come from a local clone of the templates repository, read
// at its tags with git; the checkout must be clean so that the result is
// exactly the upgrade and `git diff` shows it.
package localupgrade

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/gitcli"
	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade/prepare"
)

// ErrDirty is returned when the checkout has changes git would show.
var ErrDirty = errors.New("the work tree has uncommitted changes")

// Options say what to upgrade.
type Options struct {
	// Dir is the checkout (it holds .goldenpath.yml).
	Dir string
	// Source is a local clone of the templates repository.
	Source string
	// To is the version to move to ("1.2.0" or "v1.2.0"); empty means the
	// highest released (non-prerelease) version tagged in Source.
	To string
	// DryRun computes the upgrade without writing anything.
	DryRun bool
}

// Result says what the upgrade did.
type Result struct {
	Template string
	From, To *semver.Version
	// UpToDate is true when the checkout already is on To or newer: nothing
	// was written.
	UpToDate  bool
	Plan      merge.Plan
	Changelog string
	// Written lists the paths written or deleted, in order.
	Written []string
}

// Conflicts are the files left with conflict markers (or, for binary
// files, as the repository had them).
func (r *Result) Conflicts() []merge.FileResult { return r.Plan.Conflicts() }

// Run upgrades the checkout at opts.Dir.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Dir == "" {
		opts.Dir = "."
	}
	if opts.Source == "" {
		return nil, errors.New("--source is required: a local clone of the templates repository")
	}
	afPath := filepath.Join(opts.Dir, template.AnswersFileName)
	afData, err := os.ReadFile(afPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s has no %s: it was not made from a golden path template", opts.Dir, template.AnswersFileName)
		}
		return nil, fmt.Errorf("reading %s: %w", afPath, err)
	}
	af, err := template.ParseAnswersFile(afData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", afPath, err)
	}
	from, err := prepare.ParseVersion(af.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", afPath, err)
	}

	if err := CheckClean(ctx, opts.Dir, "upgrade"); err != nil {
		return nil, err
	}

	src := templatesrc.Git{Dir: opts.Source}
	tags, err := src.Tags(ctx, af.Template+"/v")
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s in %s: %w", af.Template, opts.Source, err)
	}
	to, err := pickTarget(tags, af.Template, opts.To)
	if err != nil {
		return nil, err
	}
	res := &Result{Template: af.Template, From: from, To: to}
	if !to.GreaterThan(from) {
		res.UpToDate = true
		return res, nil
	}
	if !hasTag(tags, template.Tag(af.Template, from)) {
		return nil, fmt.Errorf("%s has no tag %s: the version %s records is needed as the base of the merge",
			opts.Source, template.Tag(af.Template, from), template.AnswersFileName)
	}
	oldT, err := src.At(ctx, template.Tag(af.Template, from))
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", template.Tag(af.Template, from), err)
	}
	newT, err := src.At(ctx, template.Tag(af.Template, to))
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", template.Tag(af.Template, to), err)
	}
	ours, err := readWorkTree(ctx, opts.Dir)
	if err != nil {
		return nil, err
	}
	prep, err := prepare.Upgrade(ctx, prepare.Input{
		Old: oldT, New: newT, From: from, To: to,
		Answers: af, Org: orgOf(af.Source), Ours: ours,
	})
	if err != nil {
		return nil, err
	}
	res.Plan, res.Changelog = prep.Plan, prep.Changelog
	if opts.DryRun {
		return res, nil
	}
	for _, p := range prepare.ChangedPaths(prep.Changes) {
		if err := writeFile(opts.Dir, p, prep.Changes[p]); err != nil {
			return res, err
		}
		res.Written = append(res.Written, p)
	}
	return res, nil
}

// pickTarget returns the version named by want, or the highest release.
func pickTarget(tags []string, name, want string) (*semver.Version, error) {
	if want == "" {
		_, v, ok := template.LatestVersion(tags, name)
		if !ok {
			return nil, fmt.Errorf("no released version of %s is tagged (%s/vX.Y.Z)", name, name)
		}
		return v, nil
	}
	v, err := prepare.ParseVersion(want)
	if err != nil {
		return nil, fmt.Errorf("--to: %w", err)
	}
	if !hasTag(tags, template.Tag(name, v)) {
		return nil, fmt.Errorf("--to: version %s of %s is not tagged (no tag %s)", v, name, template.Tag(name, v))
	}
	return v, nil
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

// orgOf is the account of a source "acme/golden-paths".
func orgOf(source string) string {
	org, _, _ := strings.Cut(source, "/")
	return org
}

// readWorkTree reads the files git tracks under dir (the checkout is clean,
// so they are the committed files). Submodules are left out; a symbolic
// link is its target, as git stores it.
func readWorkTree(ctx context.Context, dir string) (merge.Tree, error) {
	out, err := gitcli.Run(ctx, dir, "ls-files", "-z", "--stage", "--", ".")
	if err != nil {
		return nil, fmt.Errorf("listing the files of %s: %w", dir, err)
	}
	tree := merge.Tree{}
	for _, rec := range strings.Split(string(out), "\x00") {
		if rec == "" {
			continue
		}
		meta, p, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("listing the files of %s: unexpected line %q", dir, rec)
		}
		mode, err := strconv.ParseUint(f[0], 8, 32)
		if err != nil {
			return nil, fmt.Errorf("listing the files of %s: mode of %s: %w", dir, p, err)
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		switch mode {
		case 0o160000: // submodule
			continue
		case 0o120000:
			target, err := os.Readlink(full)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", full, err)
			}
			tree[p] = merge.FileEntry{Data: []byte(filepath.ToSlash(target)), Mode: fs.ModeSymlink | 0o777}
		default:
			data, err := os.ReadFile(full)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", full, err)
			}
			tree[p] = merge.FileEntry{Data: data, Mode: fs.FileMode(mode) & 0o777}
		}
	}
	return tree, nil
}

// writeFile writes (or, for nil, deletes) one path under dir. A symbolic
// link in the way is replaced, never followed.
func writeFile(dir, p string, f *merge.FileEntry) error {
	if !filepath.IsLocal(filepath.FromSlash(p)) {
		return fmt.Errorf("refusing to write %s: it is outside %s", p, dir)
	}
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := checkParents(dir, p); err != nil {
		return err
	}
	if f == nil {
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("deleting %s: %w", full, err)
		}
		removeEmptyParents(dir, p)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return fmt.Errorf("creating the folder of %s: %w", full, err)
	}
	if st, err := os.Lstat(full); err == nil && !st.Mode().IsRegular() {
		if err := os.Remove(full); err != nil {
			return fmt.Errorf("replacing %s: %w", full, err)
		}
	}
	perm := fs.FileMode(0o644)
	if f.Mode&0o111 != 0 {
		perm = 0o755
	}
	if err := os.WriteFile(full, f.Data, perm); err != nil {
		return fmt.Errorf("writing %s: %w", full, err)
	}
	// WriteFile keeps an existing file's mode: set the executable bit the
	// upgrade decided.
	if err := os.Chmod(full, perm); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", full, err)
	}
	return nil
}

// checkParents refuses a path whose parent folders include a symbolic link,
// which could lead outside the checkout.
func checkParents(dir, p string) error {
	parts := strings.Split(p, "/")
	cur := dir
	for _, part := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checking %s: %w", cur, err)
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("refusing to write %s: %s is a symbolic link", p, cur)
		}
	}
	return nil
}

func removeEmptyParents(dir, p string) {
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if os.Remove(filepath.Join(dir, filepath.FromSlash(d))) != nil {
			return // not empty (or gone): stop
		}
	}
}
