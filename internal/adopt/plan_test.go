package adopt

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/gitobject"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

func tree(files map[string]string) map[string]string {
	t := make(map[string]string, len(files))
	for p, data := range files {
		t[p] = gitobject.BlobSHA([]byte(data))
	}
	return t
}

func rendered(files map[string]string) []template.File {
	var out []template.File
	for p, data := range files {
		out = append(out, template.File{Path: p, Mode: 0o644, Data: []byte(data)})
	}
	return out
}

func paths(files []template.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func TestNewPlan(t *testing.T) {
	tests := []struct {
		name      string
		render    map[string]string
		repo      map[string]string
		add       []string
		kept      []Kept
		identical []string
	}{
		{
			name:   "an empty repository gets everything",
			render: map[string]string{"b.txt": "b\n", "a/c.txt": "c\n"},
			add:    []string{"a/c.txt", "b.txt"},
		},
		{
			name:      "added, kept and identical",
			render:    map[string]string{"README.md": "# t\n", "Dockerfile": "FROM t\n", ".gitignore": "bin/\n", "ci.yml": "on: push\n"},
			repo:      map[string]string{"README.md": "# mine\n", "Dockerfile": "FROM mine\n", ".gitignore": "bin/\n", "main.go": "package main\n"},
			add:       []string{"ci.yml"},
			kept:      []Kept{{Path: "Dockerfile"}, {Path: "README.md"}},
			identical: []string{".gitignore"},
		},
		{
			name:   "CRLF is a difference",
			render: map[string]string{"a": "x\n"},
			repo:   map[string]string{"a": "x\r\n"},
			kept:   []Kept{{Path: "a"}},
		},
		{
			name:   "a name differing in case is kept, not added next to it",
			render: map[string]string{"README.md": "# t\n", "docs/index.md": "i\n"},
			repo:   map[string]string{"readme.md": "# mine\n", "Docs/other.md": "o\n"},
			add:    []string{"docs/index.md"},
			kept:   []Kept{{Path: "README.md", Note: "the repository has readme.md (names differing only in case collide on macOS and Windows)"}},
		},
		{
			name:   "files and folders in each other's way",
			render: map[string]string{"docs/index.md": "i\n", "build": "b\n", "deep/a/b.txt": "b\n"},
			repo:   map[string]string{"docs": "a file\n", "build/out.txt": "o\n", "deep/a": "f\n"},
			kept: []Kept{
				{Path: "build", Note: "not added: the repository has a folder build"},
				{Path: "deep/a/b.txt", Note: "not added: the repository has a file deep/a where the template has a folder"},
				{Path: "docs/index.md", Note: "not added: the repository has a file docs where the template has a folder"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			af := template.AnswersFile{Template: "svc", Version: "1.2.0", Source: "acme/golden-paths",
				Answers: template.Answers{"name": "payments"}, Request: "https://github.com/acme/golden-paths/issues/7"}
			plan, err := NewPlan(PlanInput{Rendered: rendered(tt.render), Tree: tree(tt.repo), AnswersFile: af})
			if err != nil {
				t.Fatal(err)
			}
			if got := paths(plan.Add); !reflect.DeepEqual(got, tt.add) {
				t.Errorf("add = %v, want %v", got, tt.add)
			}
			if !reflect.DeepEqual(plan.Kept, tt.kept) {
				t.Errorf("kept = %v, want %v", plan.Kept, tt.kept)
			}
			if !reflect.DeepEqual(plan.Identical, tt.identical) {
				t.Errorf("identical = %v, want %v", plan.Identical, tt.identical)
			}
			for _, f := range plan.Add {
				if f.Data == nil || string(f.Data) != tt.render[f.Path] {
					t.Errorf("%s added with %q, want the render's %q", f.Path, f.Data, tt.render[f.Path])
				}
			}
			writes := plan.Writes()
			last := writes[len(writes)-1]
			back, err := template.ParseAnswersFile(last.Data)
			if last.Path != ".goldenpath.yml" || err != nil || !reflect.DeepEqual(back, af) {
				t.Errorf("last write %s = %+v (%v), want the answers file %+v", last.Path, back, err, af)
			}
			if len(writes) != len(plan.Add)+1 {
				t.Errorf("%d writes for %d added files", len(writes), len(plan.Add))
			}
			// Nothing the repository has is ever written.
			for _, w := range writes {
				if _, ok := tt.repo[w.Path]; ok {
					t.Errorf("%s is written although the repository has it", w.Path)
				}
			}
		})
	}
}

func TestNewPlanRefuses(t *testing.T) {
	_, err := NewPlan(PlanInput{Tree: tree(map[string]string{".goldenpath.yml": "template: x\n"})})
	if !errors.Is(err, ErrAnswersFile) {
		t.Errorf("repository with an answers file: %v", err)
	}
	_, err = NewPlan(PlanInput{Rendered: rendered(map[string]string{".goldenpath.yml": "x"})})
	if err == nil || !strings.Contains(err.Error(), "renders .goldenpath.yml itself") {
		t.Errorf("template rendering the answers file: %v", err)
	}
}

func TestRecorded(t *testing.T) {
	tests := []struct{ data, want string }{
		{"template: svc\nversion: 1.0.0\n", "it is already on svc v1.0.0 (its .goldenpath.yml says so): newer versions reach it as upgrades"},
		{"template: other\nversion: 2.1.0\n", "it is on another golden path, other v2.1.0 (its .goldenpath.yml says so)"},
		{"version: 1.0.0\n", "it has a .goldenpath.yml that goldenpath cannot read (parsing .goldenpath.yml: missing template); fix or remove it first"},
	}
	for _, tt := range tests {
		if got := Recorded([]byte(tt.data), "svc"); got != tt.want {
			t.Errorf("Recorded(%q) = %q, want %q", tt.data, got, tt.want)
		}
	}
}
