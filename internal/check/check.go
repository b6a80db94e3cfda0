// Package check is `goldenpath check`: for a generated repository's own CI
// (like `copier check-update` or `cruft check`), whether a newer template
// version waits and which rendered files drifted from the golden path.
package check

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/drift"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// Result is what check found.
type Result struct {
	Template string
	// Version is the version the checkout records; Latest the newest
	// released one.
	Version, Latest *semver.Version
	// Drift lists the rendered files that differ from the checkout's.
	Drift []drift.File
}

// Behind reports whether a newer version waits.
func (r *Result) Behind() bool { return r.Latest.GreaterThan(r.Version) }

// OK reports whether the checkout is up to date and nothing drifted.
func (r *Result) OK() bool { return !r.Behind() && len(r.Drift) == 0 }

// ReadAnswers reads the checkout's .goldenpath.yml.
func ReadAnswers(dir string) (template.AnswersFile, error) {
	p := filepath.Join(dir, template.AnswersFileName)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return template.AnswersFile{}, fmt.Errorf("%s has no %s: it was not made from a golden path template", dir, template.AnswersFileName)
	}
	if err != nil {
		return template.AnswersFile{}, fmt.Errorf("reading %s: %w", p, err)
	}
	af, err := template.ParseAnswersFile(data)
	if err != nil {
		return template.AnswersFile{}, fmt.Errorf("%s: %w", p, err)
	}
	return af, nil
}

// Run checks the checkout dir, whose answers are af, against the templates
// src reads.
func Run(ctx context.Context, dir string, af template.AnswersFile, src templatesrc.Reader) (*Result, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(af.Version, "v"))
	if err != nil {
		return nil, fmt.Errorf("%s records version %q, which is not semver", template.AnswersFileName, af.Version)
	}
	latest, err := src.Latest(ctx, af.Template)
	if err != nil {
		return nil, fmt.Errorf("finding the newest version of %s: %w", af.Template, err)
	}
	tag := template.Tag(af.Template, v)
	t, err := src.At(ctx, tag)
	if err != nil {
		return nil, fmt.Errorf("loading %s, the version %s records: %w", tag, template.AnswersFileName, err)
	}
	org, _, _ := strings.Cut(af.Source, "/")
	want, err := drift.Expected(ctx, t, af, org)
	if err != nil {
		return nil, err
	}
	have, contents, err := readFiles(dir, want)
	if err != nil {
		return nil, err
	}
	res := &Result{Template: af.Template, Version: v, Latest: latest.Version}
	for _, p := range drift.Compare(want, have) {
		res.Drift = append(res.Drift, drift.Describe(p, want[p].Data, contents[p]))
	}
	return res, nil
}

// readFiles reads the checkout's files at the paths of want: their blob ids
// and bytes (a symbolic link is its target, as git stores it).
func readFiles(dir string, want map[string]drift.Blob) (map[string]string, map[string][]byte, error) {
	ids, contents := map[string]string{}, map[string][]byte{}
	for p := range want {
		full := filepath.Join(dir, filepath.FromSlash(p))
		st, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", full, err)
		}
		var data []byte
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(full)
			if err != nil {
				return nil, nil, fmt.Errorf("reading %s: %w", full, err)
			}
			data = []byte(filepath.ToSlash(target))
		case st.Mode().IsRegular():
			if data, err = os.ReadFile(full); err != nil {
				return nil, nil, fmt.Errorf("reading %s: %w", full, err)
			}
		default:
			continue // a folder where the golden path has a file: missing
		}
		ids[p], contents[p] = drift.BlobID(data), data
	}
	return ids, contents, nil
}
