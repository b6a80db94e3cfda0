package templates_test

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
	"github.com/goldenpath-dev/goldenpath/internal/catalog/catalogtest"
	"github.com/goldenpath-dev/goldenpath/internal/lint"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/templates"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/<template>/ from the current renders")

// goldenOrg is the organisation every render in these tests lives in.
const goldenOrg = "acme"

// render renders a built-in template with its examples, changed by edits.
func render(t *testing.T, name string, edits map[string]any) []template.File {
	t.Helper()
	tmpl := loadBuiltIn(t, name)
	answers, err := tmpl.Manifest.Validate(withEdits(tmpl, edits))
	if err != nil {
		t.Fatalf("validating the examples of %s: %v", name, err)
	}
	files, err := template.Render(tmpl, answers, template.RenderContext{Org: goldenOrg})
	if err != nil {
		t.Fatalf("rendering %s: %v", name, err)
	}
	return files
}

// Golden files carry a .golden suffix so that none of them acts on this
// repository (a rendered .gitignore, go.mod or Go file would).
const goldenSuffix = ".golden"

// TestGolden compares each template's render with its examples to
// testdata/golden/<name>/. Run with -update after changing a template.
func TestGolden(t *testing.T) {
	for _, name := range templates.Names() {
		t.Run(name, func(t *testing.T) {
			files := render(t, name, nil)
			dir := filepath.Join(testenv.ModuleRoot(t), "testdata", "golden", name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for _, f := range files {
					p := filepath.Join(dir, filepath.FromSlash(f.Path)+goldenSuffix)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			var want []string
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				want = append(want, strings.TrimSuffix(filepath.ToSlash(rel), goldenSuffix))
				return nil
			})
			if err != nil {
				t.Fatalf("reading the golden files (run go test ./templates -update): %v", err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
				golden, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)+goldenSuffix))
				if err != nil {
					t.Errorf("%s: no golden file (run go test ./templates -update): %v", f.Path, err)
					continue
				}
				if !bytes.Equal(f.Data, golden) {
					t.Errorf("%s differs from its golden file (run go test ./templates -update to accept):\n--- got\n%s\n--- want\n%s", f.Path, f.Data, golden)
				}
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rendered files = %v\ngolden files   = %v", got, want)
			}
		})
	}
}

// TestRenderedContract checks what SPEC §4 promises about a generated
// repository, for every template and both values of its switch.
func TestRenderedContract(t *testing.T) {
	for _, name := range templates.Names() {
		for _, dependabot := range []bool{true, false} {
			files := render(t, name, map[string]any{"dependabot": dependabot})
			byPath := map[string][]byte{}
			for _, f := range files {
				byPath[f.Path] = f.Data
			}
			for _, p := range []string{".github/workflows/ci.yml", "Dockerfile", "catalog-info.yaml", "CODEOWNERS", "README.md", ".gitignore", "mkdocs.yml", "docs/index.md"} {
				if byPath[p] == nil {
					t.Errorf("%s: no %s", name, p)
				}
			}
			if _, ok := byPath[".github/dependabot.yml"]; ok != dependabot {
				t.Errorf("%s with dependabot=%v: .github/dependabot.yml present = %v", name, dependabot, ok)
			}
			if !bytes.Contains(byPath[".github/workflows/ci.yml"], []byte("${{ github.sha }}")) {
				t.Errorf("%s: the workflow lost its ${{ github.sha }} expression", name)
			}
			if !bytes.Contains(byPath["CODEOWNERS"], []byte("@"+goldenOrg+"/")) {
				t.Errorf("%s: CODEOWNERS names no team of %s:\n%s", name, goldenOrg, byPath["CODEOWNERS"])
			}
			ents, err := catalog.Parse(byPath["catalog-info.yaml"])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			e := ents[0]
			if e.Kind != "Component" || e.Metadata.Name == "" || e.SpecString("owner") == "" ||
				e.Metadata.Annotations[catalog.AnnotationProjectSlug] != goldenOrg+"/"+e.Metadata.Name ||
				e.Metadata.Annotations[catalog.AnnotationTechDocsRef] != "dir:." {
				t.Errorf("%s: catalog entity %+v does not describe the repository", name, e)
			}
			for _, f := range files {
				if strings.Contains(string(f.Data), "<no value>") {
					t.Errorf("%s: %s renders a missing value", name, f.Path)
				}
			}
		}
	}
}

// TestBackstageAcceptsCatalogInfo runs Backstage's own validators over each
// rendered catalog-info.yaml.
func TestBackstageAcceptsCatalogInfo(t *testing.T) {
	for _, name := range templates.Names() {
		t.Run(name, func(t *testing.T) {
			for _, f := range render(t, name, nil) {
				if f.Path == catalog.FileName {
					if err := catalogtest.Backstage(t, f.Data); err != nil {
						t.Fatal(err)
					}
					return
				}
			}
			t.Fatal("no catalog-info.yaml rendered")
		})
	}
}

// TestLintIsClean runs goldenpath lint's checks (actionlint on the
// workflows, BuildKit's parser on the Dockerfiles, the catalog rules) over
// the built-in templates.
func TestLintIsClean(t *testing.T) {
	for _, f := range lint.Lint(context.Background(), templates.FS(), lint.Options{Org: goldenOrg}) {
		t.Errorf("%s", f)
	}
}

// TestRenderedProjectsPass renders each template into a folder and runs the
// new project's own checks, offline: what a team gets on day one works.
func TestRenderedProjectsPass(t *testing.T) {
	checks := map[string][][]string{
		"go-service":   {{"gofmt", "-l", "."}, {"go", "vet", "./..."}, {"go", "test", "./..."}},
		"node-service": {{"node", "--test"}},
	}
	for _, name := range templates.Names() {
		t.Run(name, func(t *testing.T) {
			cmds, ok := checks[name]
			if !ok {
				t.Fatalf("no project check for template %s; add one", name)
			}
			dir := t.TempDir()
			for _, f := range render(t, name, nil) {
				p := filepath.Join(dir, filepath.FromSlash(f.Path))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, f.Mode.Perm()); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range cmds {
				bin := testenv.Tool(t, c[0])
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				cmd := exec.CommandContext(ctx, bin, c[1:]...)
				cmd.Dir = dir
				// Offline and outside this module: the rendered project must
				// need nothing but its own toolchain.
				cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local", "NODE_OPTIONS=")
				out, err := cmd.CombinedOutput()
				cancel()
				if err != nil {
					t.Fatalf("%s in the rendered %s: %v\n%s", strings.Join(c, " "), name, err, out)
				}
				if c[0] == "gofmt" && len(out) > 0 {
					t.Fatalf("the rendered %s is not gofmt-clean:\n%s", name, out)
				}
				if path.Base(c[0]) == "node" && !bytes.Contains(out, []byte("# fail 0")) {
					t.Fatalf("node --test ran no passing suite:\n%s", out)
				}
			}
		})
	}
}

// TestGoldenForms compares the issue forms of the built-in templates with
// testdata/golden/forms/ (the files `goldenpath forms` writes into a
// templates repository). Run with -update to accept a change.
func TestGoldenForms(t *testing.T) {
	repo, err := template.LoadRepo(templates.FS())
	if err != nil {
		t.Fatal(err)
	}
	forms, err := lint.Forms(repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(forms) != 2*len(templates.Names()) {
		t.Fatalf("%d forms for %d templates, want a request and an adoption form each", len(forms), len(templates.Names()))
	}
	dir := filepath.Join(testenv.ModuleRoot(t), "testdata", "golden", "forms")
	for p, data := range forms {
		golden := filepath.Join(dir, path.Base(p)+goldenSuffix)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%s: no golden file (run go test ./templates -update): %v", p, err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s differs from %s (run go test ./templates -update to accept):\n--- got\n%s\n--- want\n%s", p, golden, data, want)
		}
	}
}
