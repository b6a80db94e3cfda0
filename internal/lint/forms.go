package lint

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Forms returns the issue forms of every template, keyed by their paths in
// the repository (.github/ISSUE_TEMPLATE/new-<name>.yml and adopt-<name>.yml):
// what `goldenpath forms` writes and what lint expects.
func Forms(templates map[string]*template.Template) (map[string][]byte, error) {
	out := make(map[string][]byte, 2*len(templates))
	for _, name := range sortedNames(templates) {
		forms, err := formsOf(templates[name].Manifest)
		if err != nil {
			return nil, err
		}
		for p, data := range forms {
			out[p] = data
		}
	}
	return out, nil
}

// formsOf generates the request and adoption forms of one template.
func formsOf(m *template.Manifest) (map[string][]byte, error) {
	request, err := issueform.FromManifest(m).Marshal()
	if err != nil {
		return nil, fmt.Errorf("generating the issue form of %s: %w", m.Name, err)
	}
	af, err := issueform.AdoptFromManifest(m)
	if err != nil {
		return nil, fmt.Errorf("generating the adoption form of %s: %w", m.Name, err)
	}
	adopt, err := af.Marshal()
	if err != nil {
		return nil, fmt.Errorf("generating the adoption form of %s: %w", m.Name, err)
	}
	return map[string][]byte{issueform.FormPath(m.Name): request, issueform.AdoptFormPath(m.Name): adopt}, nil
}

// CheckForms reports forms that are missing, stale, or left behind by a
// template that no longer exists, in the repository rooted at repo.
func CheckForms(repo fs.FS, templates map[string]*template.Template) []Finding {
	return checkForms(repo, templates, sortedNames(templates), nil)
}

// OrphanForms lists the generated forms (new-<name>.yml, adopt-<name>.yml)
// in repo whose template is not in templates (e.g. it was renamed or deleted).
func OrphanForms(repo fs.FS, templates map[string]*template.Template) []string {
	dir := strings.TrimSuffix(issueform.FormsDir, "/")
	entries, _ := fs.ReadDir(repo, dir)
	var out []string
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		name, ok := issueform.TemplateOfFormPath(p)
		if e.IsDir() || !ok {
			continue
		}
		if _, ok := templates[name]; !ok {
			out = append(out, p)
		}
	}
	return out
}

func sortedNames(templates map[string]*template.Template) []string {
	names := make([]string, 0, len(templates))
	for name := range templates {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
