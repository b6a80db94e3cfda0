package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"

	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// runRender renders one template into a local folder, like `copier copy`
// or `cookiecutter`, and records the answers file.
func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("render", "--template DIR --out DIR [--values FILE] [--set id=value ...]", stderr)
	tmplDir := flags.String("template", "", "template folder (holding template.yaml and skeleton/), or a built-in template's name: "+strings.Join(templates.Names(), ", "))
	outDir := flags.String("out", "", "folder to write the project into; must be absent or empty unless --force")
	valuesFile := flags.String("values", "", "YAML file of answers (id: value); a .goldenpath.yml works too")
	var sets setFlags
	flags.Var(&sets, "set", "answer one parameter, `id=value` (repeatable; lists comma-separated; wins over --values)")
	examples := flags.Bool("examples", false, "answer every parameter left unanswered with its example")
	version := flags.String("version", "0.0.0-dev", "template version recorded in "+template.AnswersFileName)
	org := flags.String("org", "example-org", "GitHub organisation the repository will live in ({{ .goldenpath.org }})")
	source := flags.String("source", "", "templates repository recorded in "+template.AnswersFileName+" (default ORG/golden-paths)")
	force := flags.Bool("force", false, "write into a non-empty --out, replacing files of the same name")
	renderTimeout := flags.Duration("render-timeout", template.DefaultRenderTimeout, "stop a render that takes longer (a template that loops)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q; see 'goldenpath render --help'", flags.Arg(0))}
	}
	if *tmplDir == "" || *outDir == "" {
		return exitError{code: 2, msg: "--template and --out are required; see 'goldenpath render --help'"}
	}
	if err := template.CheckOrg(*org); err != nil {
		return exitError{code: 2, msg: "--org: " + err.Error()}
	}
	v, err := semver.NewVersion(*version)
	if err != nil {
		return fmt.Errorf("--version %q is not a semantic version: %w", *version, err)
	}
	if *source == "" {
		*source = *org + "/golden-paths"
	}

	t, err := loadTemplate(*tmplDir)
	if err != nil {
		return err
	}
	raw := map[string]any{}
	if *examples {
		for k, v := range t.Manifest.ExampleAnswers() {
			raw[k] = v
		}
	}
	if *valuesFile != "" {
		vals, err := readValues(*valuesFile)
		if err != nil {
			return err
		}
		for k, v := range vals {
			raw[k] = v
		}
	}
	for _, s := range sets {
		raw[s.id] = s.value
	}
	answers, err := t.Manifest.Validate(raw)
	var ve *template.ValidationError
	if errors.As(err, &ve) {
		lines := make([]string, len(ve.Problems))
		for i, p := range ve.Problems {
			lines[i] = "  " + p.String()
		}
		return exitError{code: 1, msg: fmt.Sprintf("the answers for %s have %d %s:\n%s",
			t.Manifest.Name, len(lines), plural(len(lines), "problem", "problems"), strings.Join(lines, "\n"))}
	}
	if err != nil {
		return fmt.Errorf("checking the answers: %w", err)
	}

	if err := checkOut(*outDir, *force); err != nil {
		return err
	}
	files, err := template.RenderCtx(ctx, t, answers, template.RenderContext{Org: *org, Timeout: *renderTimeout})
	if err != nil {
		return err
	}
	files = append(files, template.File{
		Path: template.AnswersFileName,
		Mode: 0o644,
		Data: template.AnswersFile{Template: t.Manifest.Name, Version: v.String(), Source: *source, Answers: answers}.Marshal(),
	})
	if err := writeFiles(ctx, *outDir, files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rendered %s %s into %s (%d files)\n", t.Manifest.Name, v, *outDir, len(files))
	return nil
}

// loadTemplate reads a template folder, or a built-in template by name.
func loadTemplate(dir string) (*template.Template, error) {
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		t, err := template.Load(os.DirFS(dir))
		if err != nil {
			return nil, fmt.Errorf("loading the template in %s: %w", dir, err)
		}
		return t, nil
	}
	for _, name := range templates.Names() {
		if dir == name {
			sub, err := fs.Sub(templates.FS(), template.TemplatesDir+"/"+name)
			if err != nil {
				return nil, fmt.Errorf("opening the built-in template %s: %w", name, err)
			}
			return template.Load(sub)
		}
	}
	return nil, fmt.Errorf("no template folder %s (built-in templates: %s)", dir, strings.Join(templates.Names(), ", "))
}

// readValues reads a YAML map of answers, or the answers of a .goldenpath.yml.
func readValues(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading --values: %w", err)
	}
	var vals map[string]any
	if err := yaml.Unmarshal(data, &vals); err != nil {
		return nil, fmt.Errorf("parsing --values %s: %w", path, err)
	}
	if _, isAnswersFile := vals["template"].(string); isAnswersFile {
		if a, ok := vals["answers"].(map[string]any); ok {
			return a, nil
		}
	}
	return vals, nil
}

// checkOut refuses to render over existing work unless forced.
func checkOut(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("reading --out %s: %w", dir, err)
	case len(entries) > 0 && !force:
		return exitError{code: 1, msg: fmt.Sprintf("--out %s is not empty; choose an empty folder or pass --force", dir)}
	}
	return nil
}

// writeFiles writes rendered files under dir. The renderer has already
// refused paths that leave the output root; writing through os.Root also
// refuses a symbolic link already in dir (--force into a checkout) that
// would carry a write outside it.
//
// Every os.Root call walks the path's directories again, so each directory
// is made once, up front, and each file is opened once (its mode set on the
// open file); the files are then written by a few goroutines: creating
// hundreds of small files is kernel time, which the cores share.
func writeFiles(ctx context.Context, dir string, files []template.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, err)
	}
	defer root.Close()
	made := map[string]bool{".": true}
	for _, f := range files {
		parent := filepath.Dir(filepath.FromSlash(f.Path))
		if made[parent] {
			continue
		}
		if err := root.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", filepath.Join(dir, parent), err)
		}
		made[parent] = true
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, f := range files {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("writing %s: %w", dir, err)
			}
			return writeFile(root, dir, f)
		})
	}
	return g.Wait()
}

// writeFile writes one rendered file through root, with its mode set even
// when the file existed (--force) or the umask would narrow it.
func writeFile(root *os.Root, dir string, f template.File) (err error) {
	name := filepath.FromSlash(f.Path)
	dst := filepath.Join(dir, name)
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, f.Mode.Perm())
	if err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("writing %s: %w", dst, cerr)
		}
	}()
	if _, err := out.Write(f.Data); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := out.Chmod(f.Mode.Perm()); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", dst, err)
	}
	return nil
}

// setFlags collects repeated --set id=value flags.
type setFlags []struct{ id, value string }

func (s *setFlags) String() string { return "" }

func (s *setFlags) Set(v string) error {
	id, value, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(id) == "" {
		return fmt.Errorf("want id=value, got %q", v)
	}
	*s = append(*s, struct{ id, value string }{strings.TrimSpace(id), value})
	return nil
}
