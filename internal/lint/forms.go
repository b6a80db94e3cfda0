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

// Forms returns the issue form of every template, keyed by its path in the
// repository (.github/ISSUE_TEMPLATE/new-<name>.yml): what `goldenpath forms`
// writes and what lint expects.
func Forms(templates map[string]*template.Template) (map[string][]byte, error) {
	out := make(map[string][]byte, len(templates))
	for _, name := range sortedNames(templates) {
		data, err := issueform.FromManifest(templates[name].Manifest).Marshal()
		if err != nil {
			return nil, fmt.Errorf("generating the issue form of %s: %w", name, err)
		}
		out[issueform.FormPath(name)] = data
	}
	return out, nil
}

// CheckForms reports forms that are missing, stale, or left behind by a
// template that no longer exists, in the repository rooted at repo.
func CheckForms(repo fs.FS, templates map[string]*template.Template) []Finding {
	return checkForms(repo, templates, sortedNames(templates), nil)
}

// OrphanForms lists the new-<name>.yml forms in repo whose template is not
// in templates (e.g. it was renamed or deleted).
func OrphanForms(repo fs.FS, templates map[string]*template.Template) []string {
	dir := path.Dir(issueform.FormPath("x"))
	entries, _ := fs.ReadDir(repo, dir)
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasPrefix(n, "new-") || !strings.HasSuffix(n, ".yml") {
			continue
		}
		if _, ok := templates[strings.TrimSuffix(strings.TrimPrefix(n, "new-"), ".yml")]; !ok {
			out = append(out, path.Join(dir, n))
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
