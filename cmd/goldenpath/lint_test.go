package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// templatesRepo copies this repository's templates into a fresh templates
// repository (ROOT/templates/<name>/...) and returns ROOT.
func templatesRepo(t *testing.T) string {
	t.Helper()
	src := filepath.Join(testenv.ModuleRoot(t), "templates")
	root := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(root, "templates", rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if strings.HasSuffix(p, ".go") && filepath.Dir(p) == src {
			return nil // the Go package around the templates, not a template
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestLintCommand(t *testing.T) {
	ownTemplates := filepath.Join(testenv.ModuleRoot(t), "templates")

	t.Run("this repository's templates folder", func(t *testing.T) {
		code, stdout, stderr := execGoldenpath(t, "lint", ownTemplates)
		if code != 0 || !strings.Contains(stdout, "ok") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})

	t.Run("repository without forms", func(t *testing.T) {
		root := templatesRepo(t)
		code, _, stderr := execGoldenpath(t, "lint", root)
		if code != 1 || !strings.Contains(stderr, ".github/ISSUE_TEMPLATE/new-go-service.yml: missing") {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
	})

	t.Run("repository with forms, then a broken manifest", func(t *testing.T) {
		root := templatesRepo(t)
		if code, _, stderr := execGoldenpath(t, "forms", root); code != 0 {
			t.Fatalf("forms: exit %d: %s", code, stderr)
		}
		if code, stdout, stderr := execGoldenpath(t, "lint", root, "--org", "acme"); code != 0 {
			t.Fatalf("lint after forms: exit %d\n%s%s", code, stdout, stderr)
		}
		manifest := filepath.Join(root, "templates", "go-service", "template.yaml")
		data, _ := os.ReadFile(manifest)
		if err := os.WriteFile(manifest, append(data, "surprise: 1\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := execGoldenpath(t, "lint", root)
		if code != 1 || !strings.Contains(stderr, `templates/go-service/template.yaml:`) || !strings.Contains(stderr, `"surprise"`) {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
	})

	t.Run("not a templates repository", func(t *testing.T) {
		code, _, stderr := execGoldenpath(t, "lint", t.TempDir())
		if code != 1 || !strings.Contains(stderr, "holds no templates") {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
	})

	t.Run("two roots", func(t *testing.T) {
		if code, _, _ := execGoldenpath(t, "lint", "a", "b"); code != 2 {
			t.Fatalf("exit %d, want 2", code)
		}
	})
}
