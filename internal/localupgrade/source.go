package localupgrade

import (
	"bytes"
	"context"
	"fmt"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/gitcli"
	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// The git-backed pieces of a local upgrade that `goldenpath adopt` uses too:
// templates read from a local clone at their tags, and a clean checkout
// read and written.

// LoadTagged loads template name from the clone of the templates repository
// at source, at version want ("1.2.0" or "v1.2.0"; empty: the highest
// released version tagged).
func LoadTagged(ctx context.Context, source, name, want string) (*template.Template, *semver.Version, error) {
	src := templatesrc.Git{Dir: source}
	tags, err := src.Tags(ctx, name+"/v")
	if err != nil {
		return nil, nil, fmt.Errorf("listing the tags of %s in %s: %w", name, source, err)
	}
	v, err := pickTarget(tags, name, want)
	if err != nil {
		return nil, nil, err
	}
	t, err := src.At(ctx, template.Tag(name, v))
	if err != nil {
		return nil, nil, fmt.Errorf("loading %s: %w", template.Tag(name, v), err)
	}
	return t, v, nil
}

// CheckClean fails with ErrDirty when the checkout at dir has changes git
// would show, so that what a command writes is all `git diff` shows.
func CheckClean(ctx context.Context, dir, what string) error {
	status, err := gitcli.Run(ctx, dir, "status", "--porcelain", "--", ".")
	if err != nil {
		return fmt.Errorf("checking that %s is a clean git checkout: %w", dir, err)
	}
	if len(bytes.TrimSpace(status)) > 0 {
		return fmt.Errorf("%w in %s: commit or stash them first, so the %s is all that changes", ErrDirty, dir, what)
	}
	return nil
}

// ReadWorkTree reads the files git tracks in the clean checkout at dir.
func ReadWorkTree(ctx context.Context, dir string) (merge.Tree, error) { return readWorkTree(ctx, dir) }

// WriteFile writes one file under dir, refusing paths that leave it or go
// through a symbolic link.
func WriteFile(dir, p string, f *merge.FileEntry) error { return writeFile(dir, p, f) }

// Git runs git in dir (bounded by a timeout) and returns its standard output.
func Git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return gitcli.Run(ctx, dir, args...)
}
