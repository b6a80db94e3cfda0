// Package lint checks a templates repository the way the bot will use it:
// every manifest parses, every template renders with its examples, and what
// it renders is accepted by the tools the new repository meets on its first
// day (Backstage's catalog rules, actionlint, the Dockerfile parser), and the
// issue forms are the ones `goldenpath forms` would write.
package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Finding is one problem, located as precisely as the check allows.
type Finding struct {
	// File is the repository path of the file at fault (a manifest, a form),
	// or, when Rendered is set, the path inside the rendered project.
	File string
	// Line is 1-based, 0 when unknown.
	Line int
	// Template names the template the finding is about ("" for repo-wide).
	Template string
	// Rendered marks findings about a file rendered with the examples.
	Rendered bool
	Message  string
}

// String formats the finding as one line: "file:line: message", where a
// rendered file is named after its template ("templates/x rendered: Dockerfile:3: …").
func (f Finding) String() string {
	var b strings.Builder
	if f.Rendered {
		fmt.Fprintf(&b, "%s/%s (rendered with the examples) ", template.TemplatesDir, f.Template)
	}
	if f.File != "" {
		b.WriteString(f.File)
		if f.Line > 0 {
			fmt.Fprintf(&b, ":%d", f.Line)
		}
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// Options tune a lint run.
type Options struct {
	// Org is the organisation the example renders pretend to live in.
	// Default: DefaultOrg.
	Org string
	// Forms is the repository root holding .github/ISSUE_TEMPLATE/; nil skips
	// the forms check (e.g. when linting a bare folder of templates).
	Forms fs.FS
	// RenderTimeout bounds each example render (template.DefaultRenderTimeout
	// when zero).
	RenderTimeout time.Duration
}

// DefaultOrg is the organisation example renders use when none is given.
const DefaultOrg = "example-org"

// Lint checks the templates repository rooted at fsys (templates/<name>/...).
// Findings are sorted by file and line; none means the repository is good.
func Lint(ctx context.Context, fsys fs.FS, opts Options) []Finding {
	if opts.Org == "" {
		opts.Org = DefaultOrg
	}
	var findings []Finding
	templates, err := template.LoadRepo(fsys)
	broken := map[string]bool{}
	if err != nil {
		var fs []Finding
		fs, broken = loadFindings(err)
		findings = append(findings, fs...)
	}
	names := make([]string, 0, len(templates))
	for name := range templates {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if ctx.Err() != nil {
			return append(findings, Finding{Message: fmt.Sprintf("lint interrupted: %v", ctx.Err())})
		}
		findings = append(findings, checkTemplate(ctx, templates[name], opts)...)
	}
	if opts.Forms != nil {
		findings = append(findings, checkForms(opts.Forms, templates, names, broken)...)
	}
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.Template != b.Template {
			return a.Template < b.Template
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return dedupe(findings)
}

// loadFindings turns LoadRepo's joined errors into findings, one per
// problem line, naming the template's manifest when the error is about a
// template folder. It also returns the names of the templates that failed.
func loadFindings(err error) ([]Finding, map[string]bool) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []Finding
	broken := map[string]bool{}
	for _, e := range errs {
		msg := e.Error()
		dir, rest, ok := strings.Cut(msg, ": ")
		if !ok || !strings.HasPrefix(dir, template.TemplatesDir+"/") {
			out = append(out, Finding{Message: msg})
			continue
		}
		name := path.Base(dir)
		broken[name] = true
		file := path.Join(dir, template.ManifestFileName)
		// The manifest checker lists its problems one per line under a
		// "checking template.yaml:" heading.
		lines := strings.Split(rest, "\n")
		if len(lines) > 1 && strings.HasSuffix(lines[0], ":") {
			lines = lines[1:]
		}
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, Finding{Template: name, File: file, Line: lineOf(l), Message: l})
			}
		}
	}
	return out, broken
}

// lineRE finds the first "line N" in a message from the manifest parser.
var lineRE = regexp.MustCompile(`\bline (\d+)\b`)

func lineOf(msg string) int {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n := 0
	fmt.Sscanf(m[1], "%d", &n)
	return n
}

// versionHeadingRE matches a changelog heading naming a version: "## 1.2.0",
// "## v1.2.0", "## [1.2.0] - 2024-01-01".
var versionHeadingRE = regexp.MustCompile(`(?m)^##\s+\[?v?\d+\.\d+\.\d+`)

// checkTemplate runs every per-template check.
func checkTemplate(ctx context.Context, t *template.Template, opts Options) []Finding {
	m, org := t.Manifest, opts.Org
	dir := path.Join(template.TemplatesDir, m.Name)
	manifest := path.Join(dir, template.ManifestFileName)
	var out []Finding
	add := func(file string, line int, format string, args ...any) {
		out = append(out, Finding{Template: m.Name, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
	}

	// SPEC §3: the bot needs name (the repository) and owner (the team).
	for _, id := range []string{"name", "owner"} {
		if _, ok := m.Param(id); !ok {
			add(manifest, 0, "the template has no %q parameter; every template needs one", id)
		}
	}
	// Forms show examples as placeholders and lint renders with them.
	for _, p := range m.Parameters {
		if p.Example == nil {
			add(manifest, 0, "parameter %q has no example (forms show it as the placeholder; lint renders with it)", p.ID)
		}
	}
	if cl := t.Changelog(); cl == nil {
		add(path.Join(dir, template.ChangelogFileName), 0, "missing: upgrade pull requests quote it")
	} else if !versionHeadingRE.Match(cl) {
		add(path.Join(dir, template.ChangelogFileName), 0, `no version heading such as "## 1.0.0"`)
	}

	answers, err := m.Validate(m.ExampleAnswers())
	if err != nil {
		var ve *template.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				add(manifest, 0, "the example of %q is not a valid answer: %s", p.Param, p.Message)
			}
		} else {
			add(manifest, 0, "validating the examples: %v", err)
		}
		return out
	}

	// Render with the examples, then once more with every boolean flipped so
	// both sides of a conditional file are exercised.
	variants := []template.Answers{answers}
	if flipped, ok := flipBooleans(m, answers); ok {
		variants = append(variants, flipped)
	}
	for i, a := range variants {
		files, err := template.RenderCtx(ctx, t, a, template.RenderContext{Org: org, Timeout: opts.RenderTimeout})
		if err != nil {
			what := "rendering with the examples"
			if i > 0 {
				what = "rendering with the examples and every boolean flipped"
			}
			add(dir, 0, "%s: %v", what, err)
			continue
		}
		out = append(out, checkRendered(m, a, org, files)...)
	}
	return out
}

// flipBooleans returns answers with every boolean parameter negated, and
// whether there was any.
func flipBooleans(m *template.Manifest, answers template.Answers) (template.Answers, bool) {
	flipped := template.Answers{}
	for k, v := range answers {
		flipped[k] = v
	}
	found := false
	for _, p := range m.Parameters {
		if p.Type == template.TypeBoolean {
			b, _ := answers[p.ID].(bool)
			flipped[p.ID] = !b
			found = true
		}
	}
	return flipped, found
}

// checkRendered checks the files one render produced.
func checkRendered(m *template.Manifest, answers template.Answers, org string, files []template.File) []Finding {
	var out []Finding
	hasCatalog := false
	for _, f := range files {
		var found []Finding
		switch {
		case f.Path == catalog.FileName:
			hasCatalog = true
			found = checkCatalog(f, answers, org)
		case isWorkflow(f.Path):
			found = checkWorkflow(f)
		case isDockerfile(f.Path):
			found = checkDockerfile(f)
		}
		for i := range found {
			found[i].Template, found[i].Rendered = m.Name, true
			if found[i].File == "" {
				found[i].File = f.Path
			}
		}
		out = append(out, found...)
	}
	if !hasCatalog {
		out = append(out, Finding{Template: m.Name, Rendered: true, File: catalog.FileName,
			Message: "missing: every generated repository needs a Backstage catalog entry at its root"})
	}
	return out
}

// isWorkflow reports whether p is a GitHub Actions workflow file.
func isWorkflow(p string) bool {
	return path.Dir(p) == ".github/workflows" && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml"))
}

// isDockerfile reports whether p is a Dockerfile: Dockerfile, Dockerfile.x
// or x.Dockerfile, in any folder.
func isDockerfile(p string) bool {
	base := path.Base(p)
	return base == "Dockerfile" || strings.HasPrefix(base, "Dockerfile.") || strings.HasSuffix(base, ".Dockerfile")
}

// checkCatalog validates catalog-info.yaml with Backstage's rules and checks
// it describes the repository it is in (SPEC §4).
func checkCatalog(f template.File, answers template.Answers, org string) []Finding {
	if err := catalog.Validate(f.Data); err != nil {
		var ve *catalog.ValidationError
		if !errors.As(err, &ve) {
			return []Finding{{Message: err.Error()}}
		}
		out := make([]Finding, len(ve.Problems))
		for i, p := range ve.Problems {
			msg := p.Message
			if p.Field != "" {
				msg = p.Field + ": " + msg
			}
			out[i] = Finding{Line: p.Line, Message: msg}
		}
		return out
	}
	ents, err := catalog.Parse(f.Data)
	if err != nil {
		return []Finding{{Message: err.Error()}}
	}
	name, _ := answers["name"].(string)
	owner, _ := answers["owner"].(string)
	for _, e := range ents {
		if e.Kind != "Component" || e.Metadata.Name != name {
			continue
		}
		var out []Finding
		if got := e.SpecString("owner"); owner != "" && got != owner && got != "group:"+owner {
			out = append(out, Finding{Message: fmt.Sprintf("spec.owner is %q; it must be the owner answer %q", got, owner)})
		}
		if got, want := e.Metadata.Annotations[catalog.AnnotationProjectSlug], org+"/"+name; got != want {
			out = append(out, Finding{Message: fmt.Sprintf("annotation %s is %q; it must be %q ({{ .goldenpath.org }}/{{ .name }})", catalog.AnnotationProjectSlug, got, want)})
		}
		return out
	}
	return []Finding{{Message: fmt.Sprintf("no Component named %q (metadata.name must be the name answer)", name)}}
}

// trimNewline drops one trailing newline so messages stay on one line.
func trimNewline(s string) string { return strings.TrimRight(s, "\n") }

// checkForms compares every template's issue form with what `goldenpath
// forms` would write, and reports forms for templates that do not exist.
func checkForms(repo fs.FS, templates map[string]*template.Template, names []string, broken map[string]bool) []Finding {
	var out []Finding
	for _, name := range names {
		forms, err := formsOf(templates[name].Manifest)
		if err != nil {
			out = append(out, Finding{Template: name, File: issueform.FormPath(name), Message: err.Error()})
			continue
		}
		for _, p := range slices.Sorted(maps.Keys(forms)) {
			want := forms[p]
			got, err := fs.ReadFile(repo, p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				out = append(out, Finding{Template: name, File: p, Message: "missing; run 'goldenpath forms' to write it"})
			case err != nil:
				out = append(out, Finding{Template: name, File: p, Message: fmt.Sprintf("reading: %v", err)})
			case !bytes.Equal(got, want):
				out = append(out, Finding{Template: name, File: p, Line: firstDiffLine(got, want),
					Message: "out of date with template.yaml; run 'goldenpath forms' to rewrite it"})
			}
		}
	}
	// A form left behind by a deleted or renamed template would still offer
	// requests the bot cannot serve.
	for _, p := range OrphanForms(repo, templates) {
		tmpl, _ := issueform.TemplateOfFormPath(p)
		if !broken[tmpl] {
			out = append(out, Finding{File: p, Message: fmt.Sprintf("a request form for template %q, which does not exist", tmpl)})
		}
	}
	return out
}

// firstDiffLine is the 1-based line where a and b first differ.
func firstDiffLine(a, b []byte) int {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

func dedupe(fs []Finding) []Finding {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := f.String()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	return out
}
