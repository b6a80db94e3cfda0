// Package template is the domain core of golden-path templates: the
// template.yaml manifest, validation of the answers a user gives for its
// parameters, hermetic rendering of a skeleton, the answers file a generated
// repository carries, and template versions (git tags).
//
// It does no I/O beyond reading the fs.FS it is handed, so the same code
// renders from a local directory, a git tree or an in-memory test skeleton.
//
// Rendering rules, for template authors:
//   - Every file under skeleton/ is a text/template; answers are top-level
//     ({{ .name }}), plus {{ .goldenpath.org }} and {{ .goldenpath.template }}.
//     A missing key is an error. Functions: sprig's, minus everything that
//     reads the clock, randomness, the environment, files or the network.
//   - File and folder names are templates too. A name that renders empty is
//     not written (with everything below it): conditional files.
//   - A trailing .tmpl is dropped from file names (main.go.tmpl → main.go).
//   - options.verbatim files are copied as they are (GitHub Actions' ${{ }});
//     options.delimiters changes {{ }} everywhere; options.exclude drops files.
//   - Binary files (a NUL byte, or not UTF-8) are copied, never rendered.
//   - Rendered paths must be clean and relative, stay out of .git, and not
//     differ only in case; symlinks are refused; the executable bit is kept.
//   - The same template and answers render the same bytes, always: upgrades
//     re-render old versions and merge against them.
package template

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"
)

// ManifestFileName is the manifest's file name inside a template directory.
const ManifestFileName = "template.yaml"

// ParamType is the kind of value a parameter takes.
type ParamType string

// The parameter types. Each maps to one issue-form element.
const (
	TypeString      ParamType = "string"      // one line: form input
	TypeText        ParamType = "text"        // several lines: form textarea
	TypeBoolean     ParamType = "boolean"     // form checkbox
	TypeChoice      ParamType = "choice"      // one of Options: form dropdown
	TypeMultiChoice ParamType = "multichoice" // some of Options: form dropdown, multiple
)

func (t ParamType) valid() bool {
	switch t {
	case TypeString, TypeText, TypeBoolean, TypeChoice, TypeMultiChoice:
		return true
	}
	return false
}

// Parameter is one question a template asks.
type Parameter struct {
	ID          string    `yaml:"id"`
	Title       string    `yaml:"title"`
	Description string    `yaml:"description,omitempty"`
	Type        ParamType `yaml:"type"`
	Required    bool      `yaml:"required,omitempty"`
	// Default is used when no answer is given. After ParseManifest it holds
	// a string, bool or []string according to Type.
	Default any `yaml:"default,omitempty"`
	// Pattern is a Go regular expression the whole answer must match
	// (it is anchored, like the HTML pattern attribute).
	Pattern   string   `yaml:"pattern,omitempty"`
	Options   []string `yaml:"options,omitempty"`
	MinLength *int     `yaml:"minLength,omitempty"`
	MaxLength *int     `yaml:"maxLength,omitempty"`
	// Example is shown as the form's placeholder and is what `lint` renders
	// with. After ParseManifest it holds a string, bool or []string.
	Example any `yaml:"example"`

	pattern *regexp.Regexp
}

// Options tune rendering and upgrades.
type Options struct {
	// Delimiters replace {{ and }}: [left, right].
	Delimiters []string `yaml:"delimiters,omitempty"`
	// Verbatim globs name files whose content is copied without rendering.
	// Globs (** allowed) match the unrendered path relative to skeleton/,
	// with or without its .tmpl suffix; names are still rendered.
	Verbatim []string `yaml:"verbatim,omitempty"`
	// Exclude globs name skeleton files and folders that are never written.
	Exclude []string `yaml:"exclude,omitempty"`
	// SkipIfExists globs name files an upgrade never overwrites once they exist.
	SkipIfExists []string `yaml:"skipIfExists,omitempty"`
	// Migrations describe file moves an upgrade must apply.
	Migrations []Migration `yaml:"migrations,omitempty"`
}

// Migration applies when an upgrade crosses Version: from < Version <= to.
type Migration struct {
	Version string   `yaml:"version"`
	Rename  []Rename `yaml:"rename,omitempty"`
	Delete  []string `yaml:"delete,omitempty"`
}

// Rename moves a file in the generated repository.
type Rename struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Manifest is a parsed, checked template.yaml.
type Manifest struct {
	Name        string      `yaml:"name"`
	Title       string      `yaml:"title"`
	Description string      `yaml:"description,omitempty"`
	Parameters  []Parameter `yaml:"parameters"`
	Options     Options     `yaml:"options,omitempty"`
}

// Param returns the parameter with the given id.
func (m *Manifest) Param(id string) (*Parameter, bool) {
	for i := range m.Parameters {
		if m.Parameters[i].ID == id {
			return &m.Parameters[i], true
		}
	}
	return nil, false
}

// LeftDelim and RightDelim return the template delimiters in use.
func (m *Manifest) LeftDelim() string {
	if len(m.Options.Delimiters) == 2 {
		return m.Options.Delimiters[0]
	}
	return "{{"
}

// RightDelim returns the right template delimiter in use.
func (m *Manifest) RightDelim() string {
	if len(m.Options.Delimiters) == 2 {
		return m.Options.Delimiters[1]
	}
	return "}}"
}

// MigrationsBetween returns the migrations an upgrade from → to crosses
// (from < version <= to), oldest first. A nil from means "from the start".
func (m *Manifest) MigrationsBetween(from, to *semver.Version) []Migration {
	type vm struct {
		v *semver.Version
		m Migration
	}
	var out []vm
	for _, mig := range m.Options.Migrations {
		v, err := semver.NewVersion(mig.Version)
		if err != nil {
			continue // ParseManifest refuses these
		}
		if (from == nil || v.GreaterThan(from)) && (to == nil || !v.GreaterThan(to)) {
			out = append(out, vm{v, mig})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].v.LessThan(out[j].v) })
	res := make([]Migration, len(out))
	for i := range out {
		res[i] = out[i].m
	}
	return res
}

var (
	// nameRE is the one shape that is at once a GitHub repository name, a
	// Backstage entity name, a Docker image name and a DNS label.
	nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	// idRE keeps ids usable as {{ .id }} in text/template and as issue-form ids.
	idRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// The keys a manifest may hold, level by level, for the unknown-key check.
var (
	manifestKeys  = []string{"name", "title", "description", "parameters", "options"}
	parameterKeys = []string{"id", "title", "description", "type", "required", "default", "pattern", "options", "minLength", "maxLength", "example"}
	optionsKeys   = []string{"delimiters", "verbatim", "exclude", "skipIfExists", "migrations"}
	migrationKeys = []string{"version", "rename", "delete"}
	renameKeys    = []string{"from", "to"}
)

// ParseManifest decodes and checks a template.yaml. Every problem found is
// reported at once; an unknown key is reported with its line.
func ParseManifest(data []byte) (*Manifest, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", ManifestFileName, err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, fmt.Errorf("parsing %s: the file is empty", ManifestFileName)
	}
	var problems []string
	checkKeys(root.Content[0], "", manifestKeys, func(n *yaml.Node, path string) {
		switch path {
		case "parameters":
			forEachItem(n, func(item *yaml.Node, i int) {
				checkKeys(item, fmt.Sprintf("parameters[%d]", i), parameterKeys, nil, &problems)
			})
		case "options":
			checkKeys(n, "options", optionsKeys, func(n *yaml.Node, path string) {
				if path != "options.migrations" {
					return
				}
				forEachItem(n, func(item *yaml.Node, i int) {
					p := fmt.Sprintf("options.migrations[%d]", i)
					checkKeys(item, p, migrationKeys, func(n *yaml.Node, path string) {
						if path == p+".rename" {
							forEachItem(n, func(item *yaml.Node, j int) {
								checkKeys(item, fmt.Sprintf("%s.rename[%d]", p, j), renameKeys, nil, &problems)
							})
						}
					}, &problems)
				})
			}, &problems)
		}
	}, &problems)
	if len(problems) > 0 {
		return nil, fmt.Errorf("checking %s:\n%s", ManifestFileName, strings.Join(problems, "\n"))
	}

	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // belt and braces: checkKeys already ran
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", ManifestFileName, err)
	}
	if problems := m.check(); len(problems) > 0 {
		return nil, fmt.Errorf("checking %s:\n%s", ManifestFileName, strings.Join(problems, "\n"))
	}
	return &m, nil
}

// checkKeys reports keys of mapping n not in known, with their line, and
// calls descend for each known key's value so nested levels are checked too.
func checkKeys(n *yaml.Node, path string, known []string, descend func(*yaml.Node, string), problems *[]string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		where := path
		if where == "" {
			where = "the document"
		}
		*problems = append(*problems, fmt.Sprintf("line %d: %s must be a mapping", n.Line, where))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		full := k.Value
		if path != "" {
			full = path + "." + k.Value
		}
		if !contains(known, k.Value) {
			*problems = append(*problems, fmt.Sprintf("line %d: unknown key %q in %s (known keys: %s)",
				k.Line, k.Value, orTop(path), strings.Join(known, ", ")))
			continue
		}
		if descend != nil {
			descend(v, full)
		}
	}
}

func orTop(path string) string {
	if path == "" {
		return "the manifest"
	}
	return path
}

func forEachItem(n *yaml.Node, f func(*yaml.Node, int)) {
	if n.Kind != yaml.SequenceNode {
		return // the typed decode reports the wrong shape
	}
	for i, item := range n.Content {
		f(item, i)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// check validates a decoded manifest and normalises defaults and examples.
func (m *Manifest) check() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !nameRE.MatchString(m.Name) {
		add("name %q must match %s (lowercase letters, digits and single hyphens)", m.Name, nameRE)
	}
	if strings.TrimSpace(m.Title) == "" {
		add("title is required")
	}
	ids := map[string]bool{}
	titles := map[string]string{}
	for i := range m.Parameters {
		prm := &m.Parameters[i]
		where := fmt.Sprintf("parameters[%d] (%s)", i, prm.ID)
		checkParamNames(prm, i, where, ids, titles, add)
		if !prm.Type.valid() {
			add("%s: type %q must be one of string, text, boolean, choice, multichoice", where, prm.Type)
			continue
		}
		checkParamRules(prm, where, add)
		checkParamValues(prm, where, add)
	}
	for _, id := range []string{"name", "owner"} {
		prm, ok := m.Param(id)
		switch {
		case !ok:
			add("parameter %q is required in every template", id)
		case prm.Type != TypeString:
			add("parameter %q must have type string", id)
		case !prm.Required:
			add("parameter %q must be required", id)
		}
	}
	m.Options.check(add)
	return p
}

// checkParamNames checks the parameter's id and title, which must both be
// unique across the manifest: ids and titles record those seen so far.
func checkParamNames(prm *Parameter, i int, where string, ids map[string]bool, titles map[string]string, add func(string, ...any)) {
	switch {
	case prm.ID == "":
		add("parameters[%d]: id is required", i)
	case prm.ID == "goldenpath":
		add("%s: the id goldenpath is reserved for {{ .goldenpath.org }} and {{ .goldenpath.template }}", where)
	case !idRE.MatchString(prm.ID):
		add("%s: id must match %s so templates can use {{ .%s }}", where, idRE, prm.ID)
	case ids[prm.ID]:
		add("%s: id %q is used twice", where, prm.ID)
	}
	ids[prm.ID] = true
	// Titles are the form labels an issue body maps back to ids.
	switch {
	case strings.TrimSpace(prm.Title) == "":
		add("%s: title is required (it is the form label)", where)
	case strings.ContainsAny(prm.Title, "\r\n"):
		add("%s: title must be one line", where)
	case titles[titleKey(prm.Title)] != "":
		add("%s: title %q is also used by %s; titles must be unique to map issue answers back", where, prm.Title, titles[titleKey(prm.Title)])
	default:
		titles[titleKey(prm.Title)] = prm.ID
	}
}

// checkParamRules checks the constraints a parameter of a valid type puts on
// its answers (options, pattern, lengths) and compiles its pattern.
func checkParamRules(prm *Parameter, where string, add func(string, ...any)) {
	if prm.Type == TypeChoice || prm.Type == TypeMultiChoice {
		if len(prm.Options) == 0 {
			add("%s: a %s parameter needs options", where, prm.Type)
		}
		seen := map[string]bool{}
		for _, o := range prm.Options {
			switch {
			case strings.TrimSpace(o) == "" || o != strings.TrimSpace(o):
				add("%s: option %q must be non-empty without surrounding spaces", where, o)
			case seen[o]:
				add("%s: option %q is listed twice", where, o)
			case prm.Type == TypeMultiChoice && strings.Contains(o, ","):
				add("%s: option %q must not contain a comma (GitHub joins selections with \", \")", where, o)
			case strings.EqualFold(o, "None") || strings.EqualFold(o, "n/a"):
				// GitHub reserves these in dropdowns: "None" is what an
				// issue body shows when nothing was chosen.
				add("%s: option %q is reserved by GitHub issue forms; choose another word", where, o)
			}
			seen[o] = true
		}
	} else if len(prm.Options) > 0 {
		add("%s: options are only for choice and multichoice parameters", where)
	}
	if prm.Pattern != "" {
		if prm.Type != TypeString && prm.Type != TypeText {
			add("%s: pattern is only for string and text parameters", where)
		}
		re, err := regexp.Compile(`^(?:` + prm.Pattern + `)$`)
		if err != nil {
			add("%s: pattern does not compile: %v", where, err)
		} else {
			prm.pattern = re
		}
	}
	if prm.MinLength != nil && *prm.MinLength < 0 || prm.MaxLength != nil && *prm.MaxLength < 0 {
		add("%s: minLength and maxLength must not be negative", where)
	}
	if prm.MinLength != nil && prm.MaxLength != nil && *prm.MinLength > *prm.MaxLength {
		add("%s: minLength %d is greater than maxLength %d", where, *prm.MinLength, *prm.MaxLength)
	}
	if prm.Type == TypeBoolean && (prm.MinLength != nil || prm.MaxLength != nil) {
		add("%s: minLength and maxLength do not apply to booleans", where)
	}
}

// checkParamValues checks the parameter's default and its required example
// against its own rules, replacing each with its normalised value when valid.
func checkParamValues(prm *Parameter, where string, add func(string, ...any)) {
	if prm.Default != nil {
		v, msgs := prm.check(prm.Default)
		for _, msg := range msgs {
			add("%s: default %s", where, msg)
		}
		if len(msgs) == 0 {
			prm.Default = v
		}
	}
	if prm.Example == nil {
		add("%s: example is required (forms show it as placeholder and lint renders with it)", where)
	} else {
		v, msgs := prm.check(prm.Example)
		for _, msg := range msgs {
			add("%s: example %s", where, msg)
		}
		if len(msgs) == 0 {
			prm.Example = v
		}
	}
}

// check validates the manifest's options: delimiters, globs and migrations.
func (o *Options) check(add func(string, ...any)) {
	if d := o.Delimiters; d != nil {
		if len(d) != 2 || strings.TrimSpace(d[0]) == "" || strings.TrimSpace(d[1]) == "" || d[0] == d[1] {
			add("options.delimiters must be two different non-empty strings, such as [\"[[\", \"]]\"]")
		}
	}
	for _, g := range [][]string{o.Verbatim, o.Exclude, o.SkipIfExists} {
		for _, pat := range g {
			if !doublestar.ValidatePattern(pat) {
				add("options: glob %q is not valid", pat)
			}
		}
	}
	for i, mig := range o.Migrations {
		if _, err := semver.StrictNewVersion(strings.TrimPrefix(mig.Version, "v")); err != nil {
			add("options.migrations[%d]: version %q is not a semantic version", i, mig.Version)
		}
		for _, r := range mig.Rename {
			for _, f := range []string{r.From, r.To} {
				if _, err := SafePath(f); err != nil {
					add("options.migrations[%d]: rename: %v", i, err)
				}
			}
		}
		for _, f := range mig.Delete {
			if _, err := SafePath(f); err != nil {
				add("options.migrations[%d]: delete: %v", i, err)
			}
		}
	}
}

// titleKey is how an issue body's heading is matched to a title: case and
// runs of spaces do not count (GitHub and people's edits change both).
func titleKey(title string) string { return strings.ToLower(strings.Join(strings.Fields(title), " ")) }
