// Package starter is the content of a new templates repository, written by
// `goldenpath init`: goldenpath.yaml with every key documented, the built-in
// templates, their issue forms, a README for template maintainers and a CI
// workflow running `goldenpath lint` and `goldenpath forms --check`.
//
// Files decides the content; Write puts it on disk.
package starter

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/lint"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// The all: prefix keeps .github/, which embed drops by default.
//
//go:embed all:files
var files embed.FS

// WorkflowPath is the starter CI workflow.
const WorkflowPath = ".github/workflows/templates.yml"

// versionMark is replaced in the workflow by the goldenpath version CI installs.
const versionMark = "{{VERSION}}"

// Files returns every file of a starter templates repository, keyed by its
// slash-separated path. version is the goldenpath version the CI workflow
// installs (a module version such as v1.4.0, or "latest").
func Files(version string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(files, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, "files/")] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the starter files: %w", err)
	}
	out[WorkflowPath] = []byte(strings.ReplaceAll(string(out[WorkflowPath]), versionMark, version))

	builtin := templates.FS()
	err = fs.WalkDir(builtin, template.TemplatesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(builtin, p)
		if err != nil {
			return err
		}
		out[p] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the built-in templates: %w", err)
	}

	loaded, err := template.LoadRepo(builtin)
	if err != nil {
		return nil, fmt.Errorf("loading the built-in templates: %w", err)
	}
	forms, err := lint.Forms(loaded)
	if err != nil {
		return nil, err
	}
	for p, data := range forms {
		out[p] = data
	}
	return out, nil
}

// Version is the goldenpath version CI should install: this binary's module
// version, or "latest" for a build from a source tree (which has none).
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "latest"
	}
	return info.Main.Version
}

// ErrNotEmpty is returned by Write for a folder that already holds files.
var ErrNotEmpty = errors.New("folder is not empty")

// Write puts files under dir, creating it if needed. A dir holding anything
// is refused with ErrNotEmpty unless force is set; then the starter's files
// replace those of the same path and every other file stays. It returns the
// paths written, sorted.
func Write(dir string, files map[string][]byte, force bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	if len(entries) > 0 && !force {
		return nil, fmt.Errorf("%s: %w (it has %s)", dir, ErrNotEmpty, entries[0].Name())
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if !fs.ValidPath(p) || path.IsAbs(p) {
			return nil, fmt.Errorf("writing %s: not a relative slash path", p)
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", filepath.Dir(dst), err)
		}
		if err := os.WriteFile(dst, files[p], 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", dst, err)
		}
	}
	return paths, nil
}
