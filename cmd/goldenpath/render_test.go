package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// execGoldenpath runs the CLI in-process and returns its exit status and output.
func execGoldenpath(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRender(t *testing.T) {
	goService := filepath.Join(testenv.ModuleRoot(t), "templates", "go-service")
	values := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(values, []byte("name: ledger\nowner: team-money\ndescription: Keeps the books.\nsystem: payments\ndependabot: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nonEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(nonEmpty, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		args       []string // {{out}} is replaced with a fresh folder
		wantCode   int
		wantStderr []string
		wantFiles  []string
		noFiles    []string
		wantAnswer map[string]any
	}{
		{
			name:       "values file and --set",
			args:       []string{"render", "--template", goService, "--out", "{{out}}", "--values", values, "--set", "lifecycle=production", "--org", "acme", "--version", "1.2.0"},
			wantFiles:  []string{"main.go", "go.mod", ".goldenpath.yml", ".github/workflows/ci.yml", "catalog-info.yaml"},
			noFiles:    []string{".github/dependabot.yml", "main.go.tmpl"},
			wantAnswer: map[string]any{"name": "ledger", "lifecycle": "production", "dependabot": false},
		},
		{
			name:      "built-in template by name with its examples",
			args:      []string{"render", "--template", "node-service", "--out", "{{out}}", "--examples"},
			wantFiles: []string{"src/server.js", "package.json", ".github/dependabot.yml"},
		},
		{
			name:       "one line per invalid answer",
			args:       []string{"render", "--template", goService, "--out", "{{out}}", "--set", "name=Bad Name", "--set", "lifecycle=retired"},
			wantCode:   1,
			wantStderr: []string{"\n  Service name: ", "\n  Owning team: is required", "\n  Lifecycle: ", "have 5 problems"},
		},
		{
			name:       "non-empty out",
			args:       []string{"render", "--template", goService, "--out", nonEmpty, "--examples"},
			wantCode:   1,
			wantStderr: []string{"is not empty"},
		},
		{
			name:      "non-empty out with --force",
			args:      []string{"render", "--template", goService, "--out", nonEmpty, "--examples", "--force"},
			wantFiles: []string{"keep.txt", "main.go"},
		},
		{
			name:       "missing --out",
			args:       []string{"render", "--template", goService},
			wantCode:   2,
			wantStderr: []string{"--template and --out are required"},
		},
		{
			name:       "no such template",
			args:       []string{"render", "--template", "nope", "--out", "{{out}}"},
			wantCode:   1,
			wantStderr: []string{"no template folder nope"},
		},
		{
			name:       "bad version",
			args:       []string{"render", "--template", goService, "--out", "{{out}}", "--examples", "--version", "one"},
			wantCode:   1,
			wantStderr: []string{"not a semantic version"},
		},
		{
			name:       "bad --set",
			args:       []string{"render", "--template", goService, "--out", "{{out}}", "--set", "novalue"},
			wantCode:   1, // the dispatcher's status for flag errors
			wantStderr: []string{"want id=value"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "{{out}}", out)
				if a == nonEmpty {
					out = nonEmpty
				}
			}
			code, _, stderr := execGoldenpath(t, args...)
			if code != tt.wantCode {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, f := range tt.wantFiles {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("%s not written: %v", f, err)
				}
			}
			for _, f := range tt.noFiles {
				if _, err := os.Stat(filepath.Join(out, f)); err == nil {
					t.Errorf("%s written, want it absent", f)
				}
			}
			if tt.wantAnswer != nil {
				data, err := os.ReadFile(filepath.Join(out, ".goldenpath.yml"))
				if err != nil {
					t.Fatal(err)
				}
				var af struct {
					Template, Version, Source string
					Answers                   map[string]any
				}
				if err := yaml.Unmarshal(data, &af); err != nil {
					t.Fatal(err)
				}
				if af.Template != "go-service" || af.Version != "1.2.0" || af.Source != "acme/golden-paths" {
					t.Errorf(".goldenpath.yml = %+v", af)
				}
				for k, v := range tt.wantAnswer {
					if af.Answers[k] != v {
						t.Errorf("answer %s = %v, want %v", k, af.Answers[k], v)
					}
				}
			}
		})
	}
}

func TestRenderDefaultVersion(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := execGoldenpath(t, "render", "--template", "go-service", "--out", out, "--examples"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, ".goldenpath.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("version: 0.0.0-dev\n")) {
		t.Fatalf(".goldenpath.yml does not record 0.0.0-dev:\n%s", data)
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"render", "lint", "forms"} {
		code, _, stderr := execGoldenpath(t, cmd, "--help")
		if code != 0 || !strings.Contains(stderr, "Usage: goldenpath "+cmd) {
			t.Errorf("%s --help: exit %d, stderr:\n%s", cmd, code, stderr)
		}
	}
}

// TestRenderForceDoesNotFollowLinksOut: --force into a folder whose docs/ is
// a link to elsewhere fails instead of writing through the link.
func TestRenderForceDoesNotFollowLinksOut(t *testing.T) {
	out, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(out, "docs")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := execGoldenpath(t, "render", "--template", "go-service", "--out", out, "--examples", "--force")
	if code == 0 || !strings.Contains(stderr, "docs") {
		t.Fatalf("exit %d, stderr %q: want a refusal naming docs", code, stderr)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("wrote %d entries through the link into %s", len(entries), outside)
	}
}
