package template

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	texttemplate "text/template"
	"unicode/utf8"

	"github.com/Masterminds/sprig/v3"
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
}

// removedFuncs are the sprig functions that HermeticTxtFuncMap still
// offers but that read the clock, randomness, the OS or the local time
// zone, or that make keys and certificates (random). The same template and
// answers must give the same bytes forever: upgrades re-render old versions
// and merge against them.
var removedFuncs = []string{
	// Already gone from the hermetic map; listed so a sprig upgrade that
	// changes its list cannot bring them back.
	"env", "expandenv", "getHostByName",
	"now", "date", "dateInZone", "date_in_zone", "dateModify", "date_modify",
	"htmlDate", "htmlDateInZone",
	"randAlphaNum", "randAlpha", "randAscii", "randNumeric", "randBytes", "uuidv4",
	// Clock: relative to time.Now.
	"ago", "durationRound",
	// Local time zone (TZ) and clock arithmetic.
	"toDate", "mustToDate", "mustDateModify", "must_date_modify", "unixEpoch",
	// Randomness.
	"randInt", "shuffle", "bcrypt", "htpasswd", "encryptAES", "decryptAES",
	"genPrivateKey", "derivePassword", "buildCustomCert", "genCA", "genCAWithKey",
	"genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
	// Host OS path rules differ between machines; use base/dir/clean/ext.
	"osBase", "osClean", "osDir", "osExt", "osIsAbs",
}

// Limits that keep one bad template from exhausting the memory of the
// server that renders it for every request and upgrade.
const (
	// MaxFileSize is the largest rendered file.
	MaxFileSize = 16 << 20
	// maxGenerated bounds what repeat, until, untilStep and seq may build.
	maxGenerated = 1 << 20
)

// FuncMap returns the functions templates may call: sprig's hermetic set
// minus everything listed in removedFuncs, with the generators capped.
func FuncMap() texttemplate.FuncMap {
	fm := sprig.HermeticTxtFuncMap()
	for _, name := range removedFuncs {
		delete(fm, name)
	}
	// sprig's keys and values walk a Go map, whose order changes from run
	// to run: sorted here (keys per map, values by their keys), so they
	// render the same bytes every time.
	fm["keys"] = func(dicts ...map[string]any) []string {
		out := []string{}
		for _, d := range dicts {
			out = append(out, sortedKeys(d)...)
		}
		return out
	}
	fm["values"] = func(dict map[string]any) []any {
		out := make([]any, 0, len(dict))
		for _, k := range sortedKeys(dict) {
			out = append(out, dict[k])
		}
		return out
	}
	// printf's %p prints a memory address: different on every run.
	fm["printf"] = func(format string, args ...any) (string, error) {
		if hasPointerVerb(format) {
			return "", fmt.Errorf("printf: %%p prints a memory address, which differs on every render")
		}
		return fmt.Sprintf(format, args...), nil
	}
	repeat := fm["repeat"].(func(int, string) string)
	fm["repeat"] = func(count int, str string) (string, error) {
		if count > 0 && len(str) > 0 && count > maxGenerated/len(str) {
			return "", fmt.Errorf("repeat would build more than %d bytes", maxGenerated)
		}
		return repeat(count, str), nil
	}
	until := fm["until"].(func(int) []int)
	fm["until"] = func(count int) ([]int, error) {
		if count > maxGenerated || count < -maxGenerated {
			return nil, fmt.Errorf("until %d would build more than %d numbers", count, maxGenerated)
		}
		return until(count), nil
	}
	untilStep := fm["untilStep"].(func(int, int, int) []int)
	fm["untilStep"] = func(start, stop, step int) ([]int, error) {
		if step != 0 && (stop-start)/step > maxGenerated {
			return nil, fmt.Errorf("untilStep would build more than %d numbers", maxGenerated)
		}
		return untilStep(start, stop, step), nil
	}
	seq := fm["seq"].(func(...int) string)
	fm["seq"] = func(params ...int) (string, error) {
		lo, hi, step := 1, 0, 1
		switch len(params) {
		case 1:
			hi = params[0]
		case 2:
			lo, hi = params[0], params[1]
		case 3:
			lo, step, hi = params[0], params[1], params[2]
		}
		if step == 0 {
			step = 1
		}
		if n := (hi - lo) / step; n > maxGenerated || n < -maxGenerated {
			return "", fmt.Errorf("seq would build more than %d numbers", maxGenerated)
		}
		return seq(params...), nil
	}
	return fm
}

// hasPointerVerb reports whether a fmt format string uses the %p verb.
func hasPointerVerb(format string) bool {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		// Skip flags, width, precision and argument indexes up to the verb.
		for i++; i < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[i]) >= 0; i++ {
		}
		if i < len(format) && format[i] == 'p' {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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

// Render renders t's skeleton with the answers. The result is sorted by path
// and byte-identical for the same template, answers and context.
func Render(t *Template, answers Answers, rc RenderContext) ([]File, error) {
	if t == nil || t.Manifest == nil || t.FS == nil {
		return nil, errors.New("rendering: no template loaded")
	}
	m := t.Manifest
	data := map[string]any{}
	for k, v := range answers {
		data[k] = copyValue(v)
	}
	data["goldenpath"] = map[string]any{"org": rc.Org, "template": m.Name}
	r := &renderer{m: m, data: data, funcs: FuncMap()}

	skel, err := fs.Sub(t.FS, SkeletonDir)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", SkeletonDir, err)
	}
	var files []File
	sources := map[string]string{} // output path → skeleton path
	err = fs.WalkDir(skel, ".", func(src string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", skelPath(src), err)
		}
		if src == "." {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link: skeletons may not contain links (they could point outside the output)", skelPath(src))
		}
		if matchAny(m.Options.Exclude, src) {
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
		if prev, ok := sources[out]; ok {
			return fmt.Errorf("%s and %s both render to %s", skelPath(prev), skelPath(src), out)
		}
		sources[out] = src
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("reading %s: %w", skelPath(src), err)
		}
		content, err := fs.ReadFile(skel, src)
		if err != nil {
			return fmt.Errorf("reading %s: %w", skelPath(src), err)
		}
		if !matchAny(m.Options.Verbatim, src) && !IsBinary(content) {
			content, err = r.execute(skelPath(src), string(content))
			if err != nil {
				return err
			}
		}
		mode := fs.FileMode(0o644)
		if info.Mode()&0o111 != 0 {
			mode = 0o755
		}
		files = append(files, File{Path: out, Mode: mode, Data: content})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if err := checkCollisions(files, sources); err != nil {
		return nil, err
	}
	return files, nil
}

type renderer struct {
	m     *Manifest
	data  map[string]any
	funcs texttemplate.FuncMap
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
	tpl, err := texttemplate.New(name).
		Delims(r.m.LeftDelim(), r.m.RightDelim()).
		Option("missingkey=error").
		Funcs(r.funcs).
		Parse(text)
	if err != nil {
		return nil, err // text/template names the file and line
	}
	buf := limitedBuffer{limit: MaxFileSize}
	if err := tpl.Execute(&buf, r.data); err != nil {
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
