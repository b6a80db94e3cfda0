package template

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
)

// SkeletonDir is the folder of a template whose tree is rendered.
const SkeletonDir = "skeleton"

// TmplSuffix is stripped from output file names, so skeleton sources such as
// main.go.tmpl are never seen by the tools of the language they are in.
const TmplSuffix = ".tmpl"

// File is one rendered file.
type File struct {
	Path string      // slash-separated, relative to the output root
	Mode fs.FileMode // 0644, or 0755 when the skeleton file is executable
	Data []byte
}

// RenderContext is what a render knows beyond the answers. It is exposed to
// templates as {{ .goldenpath.org }} and {{ .goldenpath.template }}.
type RenderContext struct {
	Org string // the GitHub organization the repository lives in
	// Timeout bounds the render: DefaultRenderTimeout when zero.
	Timeout time.Duration
}

// limitedBuffer fails a render whose output grows past its limit.
type limitedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.limit {
		return 0, fmt.Errorf("the output is larger than %d bytes", b.limit)
	}
	return b.Buffer.Write(p)
}

// Render renders t's skeleton with the answers, within rc.Timeout. The
// result is sorted by path and byte-identical for the same template, answers
// and context.
func Render(t *Template, answers Answers, rc RenderContext) ([]File, error) {
	return RenderCtx(context.Background(), t, answers, rc)
}

// RenderCtx is Render that also stops, with an error, once ctx is done.
func RenderCtx(ctx context.Context, t *Template, answers Answers, rc RenderContext) ([]File, error) {
	if t == nil || t.Manifest == nil || t.FS == nil {
		return nil, errors.New("rendering: no template loaded")
	}
	if rc.Org != "" {
		if err := CheckOrg(rc.Org); err != nil {
			return nil, fmt.Errorf("rendering: %w", err)
		}
	}
	m := t.Manifest
	data := map[string]any{}
	for k, v := range answers {
		data[k] = copyValue(v)
	}
	data["goldenpath"] = map[string]any{"org": rc.Org, "template": m.Name}
	stop := newStopper(ctx, rc.Timeout)
	defer stop.stop()
	root, err := baseTemplate().Clone()
	if err != nil {
		return nil, fmt.Errorf("rendering: %w", err)
	}
	root.Delims(m.LeftDelim(), m.RightDelim()).Funcs(texttemplate.FuncMap{tickFunc: stop.tick})
	skel, err := fs.Sub(t.FS, SkeletonDir)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", SkeletonDir, err)
	}
	r := &renderer{m: m, data: data, root: root, stop: stop, skel: skel, sources: map[string]string{}}
	if err := fs.WalkDir(skel, ".", r.visit); err != nil {
		return nil, err
	}
	sort.Slice(r.files, func(i, j int) bool { return r.files[i].Path < r.files[j].Path })
	if err := checkCollisions(r.files, r.sources); err != nil {
		return nil, err
	}
	return r.files, nil
}

// visit renders one entry of the skeleton (an fs.WalkDirFunc).
func (r *renderer) visit(src string, d fs.DirEntry, err error) error {
	if err != nil {
		return fmt.Errorf("reading %s: %w", skelPath(src), err)
	}
	if src == "." {
		return nil
	}
	if err := r.stop.err(); err != nil {
		return fmt.Errorf("%s: %w", skelPath(src), err)
	}
	if d.Type()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link: skeletons may not contain links (they could point outside the output)", skelPath(src))
	}
	if matchAny(r.m.Options.Exclude, src) {
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	}
	out, skip, err := r.renderPath(src, d.IsDir())
	if err != nil {
		return err
	}
	if skip {
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	}
	if d.IsDir() {
		return nil
	}
	if !d.Type().IsRegular() {
		return fmt.Errorf("%s is not a regular file", skelPath(src))
	}
	// Also in another case or as a folder: on a case-insensitive checkout
	// either would clash with the answers file.
	if lo := strings.ToLower(out); lo == AnswersFileName || strings.HasPrefix(lo, AnswersFileName+"/") {
		return fmt.Errorf("%s renders to %s, which clashes with %s that goldenpath writes itself", skelPath(src), out, AnswersFileName)
	}
	if prev, ok := r.sources[out]; ok {
		return fmt.Errorf("%s and %s both render to %s", skelPath(prev), skelPath(src), out)
	}
	r.sources[out] = src
	info, err := d.Info()
	if err != nil {
		return fmt.Errorf("reading %s: %w", skelPath(src), err)
	}
	content, err := fs.ReadFile(r.skel, src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", skelPath(src), err)
	}
	if !matchAny(r.m.Options.Verbatim, src) && !IsBinary(content) {
		content, err = r.execute(skelPath(src), string(content))
		if err != nil {
			return err
		}
	}
	mode := fs.FileMode(0o644)
	if info.Mode()&0o111 != 0 {
		mode = 0o755
	}
	if len(r.files) == MaxFiles {
		return fmt.Errorf("%s: the template renders more than %d files", skelPath(src), MaxFiles)
	}
	if r.total += len(content); r.total > MaxTotalSize {
		return fmt.Errorf("%s: the template renders more than %d bytes in all", skelPath(src), MaxTotalSize)
	}
	r.files = append(r.files, File{Path: out, Mode: mode, Data: content})
	return nil
}

// renderer is the state of one render.
type renderer struct {
	m    *Manifest
	data map[string]any
	root *texttemplate.Template // functions, delimiters and options; no trees
	stop *stopper
	skel fs.FS

	files   []File
	total   int               // bytes of files
	sources map[string]string // output path → skeleton path
}

func skelPath(src string) string { return SkeletonDir + "/" + src }

// renderPath renders each segment of a skeleton path. skip is true when a
// segment renders empty: the file or folder is conditional and switched off.
func (r *renderer) renderPath(src string, isDir bool) (out string, skip bool, err error) {
	segs := strings.Split(src, "/")
	for i, seg := range segs {
		b, err := r.execute(skelPath(src)+" (name)", seg)
		if err != nil {
			return "", false, err
		}
		s := string(b)
		if strings.TrimSpace(s) == "" {
			return "", true, nil
		}
		if i == len(segs)-1 && !isDir && strings.HasSuffix(s, TmplSuffix) {
			s = strings.TrimSuffix(s, TmplSuffix)
			if s == "" {
				return "", false, fmt.Errorf("%s: the name is empty once %s is stripped", skelPath(src), TmplSuffix)
			}
		}
		segs[i] = s
	}
	out, err = SafePath(strings.Join(segs, "/"))
	if err != nil {
		return "", false, fmt.Errorf("%s: rendered path refused: %w", skelPath(src), err)
	}
	return out, false, nil
}

func (r *renderer) execute(name, text string) ([]byte, error) {
	trees, err := parse.Parse(name, text, r.m.LeftDelim(), r.m.RightDelim(), sharedFuncMap(), builtinNames)
	if err != nil {
		return nil, err // names the file and line
	}
	// The render's set is shared by every text without a {{ define }}: a
	// text's own tree goes in under its unique name. A text that defines
	// templates gets a copy of the set, so its definitions are not seen by
	// other files.
	set := r.root
	if len(trees) > 1 {
		if set, err = r.root.Clone(); err != nil {
			return nil, fmt.Errorf("template: %s: %w", name, err)
		}
	}
	tpl := set.New(name)
	for n, tree := range trees {
		instrument(tree)
		if _, err := tpl.AddParseTree(n, tree); err != nil {
			return nil, fmt.Errorf("template: %s: %w", name, err)
		}
	}
	buf := limitedBuffer{limit: MaxFileSize}
	if err := tpl.Execute(&buf, r.data); err != nil {
		if stopErr := r.stop.err(); stopErr != nil {
			return nil, fmt.Errorf("%s: %w", name, stopErr)
		}
		var execErr texttemplate.ExecError
		if !errors.As(err, &execErr) {
			// A write error (the size limit) comes back without the name.
			return nil, fmt.Errorf("template: %s: %w", name, err)
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

// matchAny matches a skeleton path (relative to skeleton/, unrendered)
// against globs, with and without its .tmpl suffix, so `**/*.yml` also
// covers ci.yml.tmpl.
func matchAny(globs []string, p string) bool {
	bare := strings.TrimSuffix(p, TmplSuffix)
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
		if ok, _ := doublestar.Match(g, bare); ok && bare != "" {
			return true
		}
	}
	return false
}

// checkCollisions refuses outputs that a case-insensitive file system (macOS,
// Windows checkouts) could not hold, and a file that is also a folder.
func checkCollisions(files []File, sources map[string]string) error {
	lower := map[string]string{}
	for _, f := range files {
		k := strings.ToLower(f.Path)
		if prev, ok := lower[k]; ok {
			return fmt.Errorf("%s and %s render to %s and %s, which differ only in case", skelPath(sources[prev]), skelPath(sources[f.Path]), prev, f.Path)
		}
		lower[k] = f.Path
	}
	for _, f := range files {
		for dir := path.Dir(f.Path); dir != "."; dir = path.Dir(dir) {
			if other, ok := lower[strings.ToLower(dir)]; ok {
				return fmt.Errorf("%s renders to the file %s, but %s needs it to be a folder", skelPath(sources[other]), other, skelPath(sources[f.Path]))
			}
		}
	}
	return nil
}

// IsBinary reports whether content is copied rather than rendered: a NUL
// byte in the first 8000 bytes (git's test) or invalid UTF-8.
func IsBinary(content []byte) bool {
	head := content
	if len(head) > 8000 {
		head = head[:8000]
	}
	return bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(content)
}
