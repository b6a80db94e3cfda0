package templates_test

import (
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/goldenpath-dev/goldenpath/templates"
)

func TestFSIsShapedLikeARepository(t *testing.T) {
	fsys := templates.FS()
	want := []string{
		"templates/go-service/template.yaml",
		"templates/go-service/CHANGELOG.md",
		"templates/go-service/skeleton/.gitignore",
		"templates/go-service/skeleton/.github/workflows/ci.yml",
		"templates/go-service/skeleton/go.mod.tmpl",
		"templates/node-service/template.yaml",
		"templates/node-service/skeleton/.gitignore",
		"templates/node-service/skeleton/.github/workflows/ci.yml",
	}
	// TestFS also checks ReadDir, Stat and Open agree at every level,
	// including the synthetic root.
	if err := fstest.TestFS(fsys, want...); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "go-service/template.yaml"); err == nil {
		t.Error("go-service/template.yaml exists outside templates/; want only the repository layout")
	}
}

func TestNamesMatchFolders(t *testing.T) {
	if got, want := templates.Names(), []string{"go-service", "node-service"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	entries, err := fs.ReadDir(templates.FS(), "templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := fs.Stat(templates.FS(), "templates/"+e.Name()+"/template.yaml"); err != nil {
			t.Errorf("template %s has no template.yaml: %v", e.Name(), err)
		}
	}
}

func TestAsRepository(t *testing.T) {
	folder := fstest.MapFS{"svc/template.yaml": {Data: []byte("name: svc\n")}}
	repo := templates.AsRepository(folder)
	if err := fstest.TestFS(repo, "templates/svc/template.yaml"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"svc/template.yaml", "templates/nope", "templatesx/svc", "../templates"} {
		if _, err := fs.Stat(repo, bad); err == nil {
			t.Errorf("Stat(%q) succeeded, want an error", bad)
		}
	}
}
