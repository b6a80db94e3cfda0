// Package templates embeds the built-in golden paths, laid out as a
// templates repository's templates/ folder: <name>/template.yaml,
// <name>/skeleton/**, <name>/CHANGELOG.md. `goldenpath demo` and the tests
// publish them to the GitHub simulator; `goldenpath lint templates` checks them.
//
// Skeleton Go sources are named *.go.tmpl and the skeleton's go.mod is
// go.mod.tmpl (the renderer strips .tmpl) so the go tool never compiles a
// template as part of this module, nor sees a nested module that go:embed
// would refuse.
package templates

import (
	"embed"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// The all: prefix keeps dotfiles (.gitignore, .github/) that embed drops by default.
//
//go:embed all:go-service all:node-service
var files embed.FS

// Dir is the folder of a templates repository that holds the templates.
const Dir = "templates"

// FS returns the built-in templates shaped like the root of a templates
// repository: templates/go-service/template.yaml, templates/node-service/...
// (the same layout `goldenpath lint` and the bot read from a real repository).
func FS() fs.FS { return AsRepository(files) }

// AsRepository shows a folder of templates (<name>/template.yaml, ...) as
// the root of a templates repository (templates/<name>/template.yaml), the
// shape template.LoadRepo and lint read. `goldenpath lint templates` uses it.
func AsRepository(folder fs.FS) fs.FS { return prefixFS{prefix: Dir, fsys: folder} }

// Names lists the built-in templates, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		// The embedded root always exists; this cannot happen.
		panic("templates: reading the embedded root: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// prefixFS shows fsys under the single folder prefix, so an embed rooted at
// this package's folder reads like a repository root. prefix has no slash.
type prefixFS struct {
	prefix string
	fsys   fs.FS
}

func (p prefixFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	switch {
	case name == ".":
		return &rootDir{prefix: p.prefix}, nil
	case name == p.prefix:
		f, err := p.fsys.Open(".")
		if err != nil {
			return nil, err
		}
		d, ok := f.(fs.ReadDirFile)
		if !ok {
			f.Close()
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
		}
		return prefixDir{ReadDirFile: d, name: path.Base(p.prefix)}, nil
	case strings.HasPrefix(name, p.prefix+"/"):
		f, err := p.fsys.Open(strings.TrimPrefix(name, p.prefix+"/"))
		if err != nil {
			// Report the caller's path, not the inner one.
			return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPathError(err)}
		}
		return f, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// rootDir is the synthetic "." of a prefixFS: a folder holding only prefix.
type rootDir struct {
	prefix string
	read   bool
}

func (d *rootDir) Stat() (fs.FileInfo, error) { return dirInfo{name: "."}, nil }
func (d *rootDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: fs.ErrInvalid}
}
func (d *rootDir) Close() error { return nil }

func (d *rootDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.read {
		if n > 0 {
			return nil, io.EOF
		}
		return nil, nil
	}
	d.read = true
	return []fs.DirEntry{fs.FileInfoToDirEntry(dirInfo{name: path.Base(d.prefix)})}, nil
}

// prefixDir is the inner root seen as the prefix folder: same entries, but
// named prefix rather than ".".
type prefixDir struct {
	fs.ReadDirFile
	name string
}

func (d prefixDir) Stat() (fs.FileInfo, error) { return dirInfo{name: d.name}, nil }

// dirInfo describes a synthetic folder.
type dirInfo struct{ name string }

func (i dirInfo) Name() string       { return i.name }
func (i dirInfo) Size() int64        { return 0 }
func (i dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (i dirInfo) ModTime() time.Time { return time.Time{} }
func (i dirInfo) IsDir() bool        { return true }
func (i dirInfo) Sys() any           { return nil }
