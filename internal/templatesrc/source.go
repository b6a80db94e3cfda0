// Package templatesrc is the one reader of an organization's templates
// repository: its published versions (tags), a template at a tag, and the
// org policy (goldenpath.yaml) at a ref. Both workflows read it through a
// Source (GitHub, with this process's memory and a cache every replica
// shares through the database); `goldenpath upgrade` reads a local clone
// through Git. Each turns the files into a template the same way: one
// read-only FS, one manifest and name check.
package templatesrc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Reader reads one templates repository.
type Reader interface {
	// Latest is the highest published (not prerelease) version of template
	// name; ErrNoVersion when it has none.
	Latest(ctx context.Context, name string) (Version, error)
	// At loads the template a version tag (<name>/vX.Y.Z) holds; a
	// *BrokenError when its files do not make a template.
	At(ctx context.Context, tag string) (*template.Template, error)
	// Policy reads goldenpath.yaml at ref ("" for the default branch); the
	// default policy when there is none, a *BrokenPolicyError when it does
	// not parse.
	Policy(ctx context.Context, ref string) (config.Policy, error)
}

// Version is one published version of a template.
type Version struct {
	Name    string
	Tag     string
	Version *semver.Version
}

// ErrNoVersion: the template has no published version.
var ErrNoVersion = errors.New("no published version")

// BrokenError says the files at a tag do not make the template: a fault
// of the templates repository that no retry mends.
type BrokenError struct {
	Name, Tag string
	Err       error
}

func (e *BrokenError) Error() string { return e.Err.Error() }
func (e *BrokenError) Unwrap() error { return e.Err }

// BrokenPolicyError says goldenpath.yaml does not parse; Err is the
// parser's error (with its line).
type BrokenPolicyError struct{ Err error }

func (e *BrokenPolicyError) Error() string { return e.Err.Error() }
func (e *BrokenPolicyError) Unwrap() error { return e.Err }

// latest picks name's highest published version among tag names.
func latest(tags []string, name string) (Version, error) {
	tag, v, ok := template.LatestVersion(tags, name)
	if !ok {
		return Version{}, fmt.Errorf("template %s: %w", name, ErrNoVersion)
	}
	return Version{Name: name, Tag: tag, Version: v}, nil
}

// load makes template name out of fsys, the repository's root at tag: the
// one conversion every reader shares, with its manifest and name check.
func load(fsys fs.FS, name, tag string) (*template.Template, error) {
	sub, err := fs.Sub(fsys, path.Join(template.TemplatesDir, name))
	if err != nil {
		return nil, fmt.Errorf("opening template %s at %s: %w", name, tag, err)
	}
	t, err := template.Load(sub)
	if err != nil {
		return nil, &BrokenError{Name: name, Tag: tag, Err: err}
	}
	if t.Manifest.Name != name {
		return nil, &BrokenError{Name: name, Tag: tag,
			Err: fmt.Errorf("the manifest in %s/%s names the template %q", template.TemplatesDir, name, t.Manifest.Name)}
	}
	return t, nil
}

// parsePolicy reads goldenpath.yaml's bytes; found false: no file.
func parsePolicy(data []byte, found bool) (config.Policy, error) {
	if !found {
		return config.DefaultPolicy(), nil
	}
	p, err := config.ParsePolicy(data)
	if err != nil {
		return config.Policy{}, &BrokenPolicyError{Err: err}
	}
	return p, nil
}
