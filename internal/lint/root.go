package lint

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// Root is the templates repository a command works on, found from the ROOT
// argument of `goldenpath lint` and `goldenpath forms`.
type Root struct {
	// Templates is shaped like a repository root: templates/<name>/...
	Templates fs.FS
	// RepoDir is the directory holding .github/ISSUE_TEMPLATE/, or "" when
	// ROOT is a bare folder of templates outside any templates repository.
	RepoDir string
}

// OpenRoot interprets ROOT, in this order:
//   - a templates repository root: ROOT/templates/<name>/template.yaml;
//     forms live in ROOT/.github/ISSUE_TEMPLATE/;
//   - a folder of templates: ROOT/<name>/template.yaml. When that folder is
//     named "templates" and its parent has .github/ISSUE_TEMPLATE/, the
//     parent is the repository (so `goldenpath lint templates` in a
//     templates repository checks its forms too); otherwise there are no
//     forms to check (this is the case of goldenpath's own templates/).
func OpenRoot(dir string) (Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Root{}, fmt.Errorf("resolving %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return Root{}, fmt.Errorf("opening %s: %w", dir, err)
	}
	if !st.IsDir() {
		return Root{}, fmt.Errorf("%s is not a folder", dir)
	}
	if hasTemplates(filepath.Join(abs, template.TemplatesDir)) {
		return Root{Templates: os.DirFS(abs), RepoDir: abs}, nil
	}
	if hasTemplates(abs) {
		r := Root{Templates: templates.AsRepository(os.DirFS(abs))}
		parent := filepath.Dir(abs)
		if filepath.Base(abs) == template.TemplatesDir && isDir(filepath.Join(parent, ".github", "ISSUE_TEMPLATE")) {
			r.RepoDir = parent
		}
		return r, nil
	}
	return Root{}, fmt.Errorf("%s holds no templates: expected %s/templates/<name>/%s or %s/<name>/%s",
		dir, dir, template.ManifestFileName, dir, template.ManifestFileName)
}

// FormsFS is the repository root to look for issue forms in, or nil.
func (r Root) FormsFS() fs.FS {
	if r.RepoDir == "" {
		return nil
	}
	return os.DirFS(r.RepoDir)
}

// hasTemplates reports whether dir has a subfolder holding a template.yaml.
func hasTemplates(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), template.ManifestFileName)); err == nil {
				return true
			}
		}
	}
	return false
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
