package template

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// TemplatesDir is where a templates repository keeps its templates.
const TemplatesDir = "templates"

// ChangelogFileName is the changelog inside a template directory.
const ChangelogFileName = "CHANGELOG.md"

// Template is a loaded template: its manifest and its files.
type Template struct {
	Manifest *Manifest
	// FS is rooted at templates/<name>: template.yaml, skeleton/, CHANGELOG.md.
	FS fs.FS
}

// Load reads the template whose directory is the root of fsys.
func Load(fsys fs.FS) (*Template, error) {
	data, err := fs.ReadFile(fsys, ManifestFileName)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ManifestFileName, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, err
	}
	st, err := fs.Stat(fsys, SkeletonDir)
	if err != nil {
		return nil, fmt.Errorf("template %s: reading %s/: %w", m.Name, SkeletonDir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("template %s: %s is not a folder", m.Name, SkeletonDir)
	}
	return &Template{Manifest: m, FS: fsys}, nil
}

// Changelog returns the template's CHANGELOG.md, or nil when it has none.
func (t *Template) Changelog() []byte {
	b, err := fs.ReadFile(t.FS, ChangelogFileName)
	if err != nil {
		return nil
	}
	return b
}

// LoadRepo reads every templates/<name>/template.yaml under the root of a
// templates repository. A directory's name must equal its manifest's name.
// Every broken template is reported (errors.Join); the good ones are still
// returned with the error.
func LoadRepo(fsys fs.FS) (map[string]*Template, error) {
	entries, err := fs.ReadDir(fsys, TemplatesDir)
	if err != nil {
		return nil, fmt.Errorf("reading %s/: %w", TemplatesDir, err)
	}
	out := map[string]*Template{}
	var errs []error
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := path.Join(TemplatesDir, e.Name())
		if _, err := fs.Stat(fsys, path.Join(dir, ManifestFileName)); err != nil {
			continue // not a template (e.g. a shared partials folder)
		}
		sub, err := fs.Sub(fsys, dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dir, err))
			continue
		}
		t, err := Load(sub)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dir, err))
			continue
		}
		if t.Manifest.Name != e.Name() {
			errs = append(errs, fmt.Errorf("%s: the manifest's name is %q; it must equal the folder name %q", dir, t.Manifest.Name, e.Name()))
			continue
		}
		out[e.Name()] = t
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("no templates/<name>/%s found", ManifestFileName))
	}
	return out, errors.Join(errs...)
}
