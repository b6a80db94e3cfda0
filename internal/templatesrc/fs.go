package templatesrc

import (
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// File is one file of a templates repository: its bytes and its mode
// (permission bits, and fs.ModeSymlink for a link, whose bytes are its
// target).
type File struct {
	Data []byte
	Mode fs.FileMode
}

// FS is a read-only file system over files read from GitHub or git. Modes
// are kept (permissions and links), so the renderer refuses a link here as
// it does on disk. Folders are implied by the files' paths.
type FS struct {
	files map[string]File
	dirs  map[string][]fs.DirEntry
}

var (
	_ fs.ReadFileFS = (*FS)(nil)
	_ fs.ReadDirFS  = (*FS)(nil)
	_ fs.StatFS     = (*FS)(nil)
)

// NewFS serves files (slash-separated paths relative to the root; the map
// and its bytes must not change afterwards). A path that is not valid for
// fs.FS is left out.
func NewFS(files map[string]File) *FS {
	f := &FS{files: map[string]File{}, dirs: map[string][]fs.DirEntry{".": nil}}
	for p, file := range files {
		if !fs.ValidPath(p) || p == "." {
			continue
		}
		f.files[p] = File{Data: file.Data, Mode: file.Mode & (fs.ModePerm | fs.ModeSymlink)}
		f.addEntry(p, entry{name: path.Base(p), info: f.info(p)})
	}
	for _, es := range f.dirs {
		slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
	return f
}

// addEntry lists p in its folder, creating the folders above it.
func (f *FS) addEntry(p string, e entry) {
	dir := path.Dir(p)
	if _, ok := f.dirs[dir]; !ok {
		f.addEntry(dir, entry{name: path.Base(dir), info: info{name: path.Base(dir), mode: fs.ModeDir | 0o755}})
		f.dirs[dir] = nil
	}
	for _, have := range f.dirs[dir] {
		if have.Name() == e.name {
			return
		}
	}
	f.dirs[dir] = append(f.dirs[dir], e)
}

func (f *FS) info(p string) info {
	if file, ok := f.files[p]; ok {
		return info{name: path.Base(p), size: int64(len(file.Data)), mode: file.Mode}
	}
	return info{name: path.Base(p), mode: fs.ModeDir | 0o755}
}

// Open implements fs.FS.
func (f *FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if file, ok := f.files[name]; ok {
		return &openFile{info: f.info(name), r: strings.NewReader(string(file.Data))}, nil
	}
	if es, ok := f.dirs[name]; ok {
		return &openDir{info: f.info(name), entries: es}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// ReadFile implements fs.ReadFileFS.
func (f *FS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	if file, ok := f.files[name]; ok {
		return slices.Clone(file.Data), nil
	}
	if _, ok := f.dirs[name]; ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
}

// ReadDir implements fs.ReadDirFS.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	es, ok := f.dirs[name]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return slices.Clone(es), nil
}

// Stat implements fs.StatFS.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	_, file := f.files[name]
	_, dir := f.dirs[name]
	if !file && !dir {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return f.info(name), nil
}

type info struct {
	name string
	size int64
	mode fs.FileMode
}

func (i info) Name() string       { return i.name }
func (i info) Size() int64        { return i.size }
func (i info) Mode() fs.FileMode  { return i.mode }
func (i info) ModTime() time.Time { return time.Time{} }
func (i info) IsDir() bool        { return i.mode.IsDir() }
func (i info) Sys() any           { return nil }

type entry struct {
	name string
	info info
}

func (e entry) Name() string               { return e.name }
func (e entry) IsDir() bool                { return e.info.IsDir() }
func (e entry) Type() fs.FileMode          { return e.info.mode.Type() }
func (e entry) Info() (fs.FileInfo, error) { return e.info, nil }

type openFile struct {
	info info
	r    *strings.Reader
}

func (o *openFile) Stat() (fs.FileInfo, error) { return o.info, nil }
func (o *openFile) Read(p []byte) (int, error) { return o.r.Read(p) }
func (o *openFile) Close() error               { return nil }

// Seek and ReadAt let fs.File users that need them (http.FS) have them.
func (o *openFile) Seek(off int64, whence int) (int64, error) { return o.r.Seek(off, whence) }
func (o *openFile) ReadAt(p []byte, off int64) (int, error)   { return o.r.ReadAt(p, off) }

type openDir struct {
	info    info
	entries []fs.DirEntry
	read    int
}

func (d *openDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *openDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: fs.ErrInvalid}
}
func (d *openDir) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (d *openDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.read:]
	if n <= 0 {
		d.read = len(d.entries)
		return slices.Clone(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.read += len(rest)
	return slices.Clone(rest), nil
}
