package lint_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/lint"
)

func TestOpenRoot(t *testing.T) {
	mk := func(t *testing.T, dir string, files ...string) {
		t.Helper()
		for _, f := range files {
			p := filepath.Join(dir, filepath.FromSlash(f))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name      string
		files     []string
		arg       string // relative to the temp dir
		wantRepo  string // relative to the temp dir; "-" for none
		wantError bool
	}{
		{name: "repository root", files: []string{"templates/a/template.yaml"}, arg: ".", wantRepo: "."},
		{name: "templates folder of a repository with forms", files: []string{"templates/a/template.yaml", ".github/ISSUE_TEMPLATE/new-a.yml"}, arg: "templates", wantRepo: "."},
		{name: "templates folder without forms", files: []string{"templates/a/template.yaml"}, arg: "templates", wantRepo: "-"},
		{name: "other folder of templates", files: []string{"mine/a/template.yaml", ".github/ISSUE_TEMPLATE/new-a.yml"}, arg: "mine", wantRepo: "-"},
		{name: "no templates", files: []string{"README.md"}, arg: ".", wantError: true},
		{name: "a file", files: []string{"README.md"}, arg: "README.md", wantError: true},
		{name: "missing", arg: "nope", wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mk(t, dir, tt.files...)
			root, err := lint.OpenRoot(filepath.Join(dir, tt.arg))
			if tt.wantError {
				if err == nil {
					t.Fatalf("OpenRoot = %+v, want an error", root)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.wantRepo != "-" {
				want = filepath.Join(dir, tt.wantRepo)
			}
			if root.RepoDir != want {
				t.Fatalf("RepoDir = %q, want %q", root.RepoDir, want)
			}
			if _, err := root.Templates.Open("templates/a/template.yaml"); err != nil {
				t.Fatalf("Templates lacks templates/a/template.yaml: %v", err)
			}
		})
	}
}
