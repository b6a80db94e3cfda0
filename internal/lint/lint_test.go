package lint_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/lint"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/templates"
)

const manifest = `name: svc
title: A service
parameters:
  - id: name
    title: Name
    type: string
    required: true
    example: my-svc
  - id: owner
    title: Owner
    type: string
    required: true
    example: team-a
  - id: docker
    title: Docker
    type: boolean
    example: true
options:
  verbatim: [.github/workflows/*.yml]
`

const catalogInfo = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {{ .name }}
  annotations:
    github.com/project-slug: {{ .goldenpath.org }}/{{ .name }}
spec:
  type: service
  lifecycle: experimental
  owner: {{ .owner }}
`

const workflow = `name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.sha }}"
`

const dockerfile = `FROM alpine:3.20 AS build
RUN echo {{ .name }}
FROM scratch
COPY --from=build /etc/os-release /
`

// repo returns a clean templates repository with one template "svc", its
// form in sync, after applying the edits (path → content; "" deletes).
func repo(t *testing.T, edits map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{
		"templates/svc/template.yaml":                                {Data: []byte(manifest)},
		"templates/svc/CHANGELOG.md":                                 {Data: []byte("# Changelog\n\n## 1.0.0\n\n- First.\n")},
		"templates/svc/skeleton/catalog-info.yaml":                   {Data: []byte(catalogInfo)},
		"templates/svc/skeleton/.github/workflows/ci.yml":            {Data: []byte(workflow)},
		"templates/svc/skeleton/{{ if .docker }}Dockerfile{{ end }}": {Data: []byte(dockerfile)},
		"templates/svc/skeleton/README.md":                           {Data: []byte("# {{ .name }}\n")},
	}
	m, err := template.ParseManifest([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	form, err := issueform.FromManifest(m).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	fsys[issueform.FormPath("svc")] = &fstest.MapFile{Data: form}
	af, err := issueform.AdoptFromManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	adopt, err := af.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	fsys[issueform.AdoptFormPath("svc")] = &fstest.MapFile{Data: adopt}
	for p, content := range edits {
		if content == "" {
			delete(fsys, p)
			continue
		}
		fsys[p] = &fstest.MapFile{Data: []byte(content)}
	}
	return fsys
}

func TestLint(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]string
		// want are substrings of the findings' String(), one finding each.
		want []string
	}{
		{name: "clean"},
		{
			name:  "manifest with an unknown key",
			edits: map[string]string{"templates/svc/template.yaml": manifest + "colour: blue\n"},
			want:  []string{"templates/svc/template.yaml:20: line 20: unknown key \"colour\""},
		},
		{
			name:  "no owner parameter",
			edits: map[string]string{"templates/svc/template.yaml": strings.Replace(manifest, "id: owner", "id: team", 1)},
			want:  []string{`templates/svc/template.yaml: parameter "owner" is required`},
		},
		{
			name:  "changelog without a version",
			edits: map[string]string{"templates/svc/CHANGELOG.md": "# Changelog\n\nSoon.\n"},
			want:  []string{`templates/svc/CHANGELOG.md: no version heading`},
		},
		{
			name:  "template that does not render",
			edits: map[string]string{"templates/svc/skeleton/README.md": "# {{ .name | nosuchfunc }}\n"},
			want:  []string{`templates/svc: rendering with the examples`},
		},
		{
			name:  "example that is not a valid answer",
			edits: map[string]string{"templates/svc/template.yaml": strings.Replace(manifest, "example: my-svc", "example: My_Svc", 1)},
			want:  []string{`templates/svc/template.yaml: parameters[0] (name): example "My_Svc"`},
		},
		{
			name:  "invalid catalog entity",
			edits: map[string]string{"templates/svc/skeleton/catalog-info.yaml": strings.Replace(catalogInfo, "  lifecycle: experimental\n", "", 1)},
			want:  []string{"(rendered with the examples) catalog-info.yaml:8: spec.lifecycle: is required"},
		},
		{
			name:  "catalog entity for another repository",
			edits: map[string]string{"templates/svc/skeleton/catalog-info.yaml": strings.Replace(catalogInfo, "{{ .goldenpath.org }}/{{ .name }}", "acme/other", 1)},
			want:  []string{`annotation github.com/project-slug is "acme/other"`},
		},
		{
			name:  "no catalog entity",
			edits: map[string]string{"templates/svc/skeleton/catalog-info.yaml": ""},
			want:  []string{"(rendered with the examples) catalog-info.yaml: missing"},
		},
		{
			name:  "workflow actionlint rejects",
			edits: map[string]string{"templates/svc/skeleton/.github/workflows/ci.yml": strings.Replace(workflow, "github.sha", "github.nosuchthing", 1)},
			want:  []string{"(rendered with the examples) .github/workflows/ci.yml:8: ", "[actionlint expression]"},
		},
		{
			name:  "workflow whose expressions the renderer ate",
			edits: map[string]string{"templates/svc/template.yaml": strings.Replace(manifest, "options:\n  verbatim: [.github/workflows/*.yml]\n", "", 1)},
			want:  []string{`templates/svc: rendering with the examples`},
		},
		{
			name:  "Dockerfile that does not parse",
			edits: map[string]string{"templates/svc/skeleton/{{ if .docker }}Dockerfile{{ end }}": "FROM alpine\nCOPY --nosuchflag=1 a b\n"},
			want:  []string{"(rendered with the examples) Dockerfile:2: Dockerfile: "},
		},
		{
			name:  "Dockerfile without FROM",
			edits: map[string]string{"templates/svc/skeleton/{{ if .docker }}Dockerfile{{ end }}": "RUN true\n"},
			want:  []string{"(rendered with the examples) Dockerfile"},
		},
		{
			name:  "stale form",
			edits: map[string]string{issueform.FormPath("svc"): "name: old\n"},
			want:  []string{".github/ISSUE_TEMPLATE/new-svc.yml:1: out of date"},
		},
		{
			name:  "missing form",
			edits: map[string]string{issueform.FormPath("svc"): ""},
			want:  []string{".github/ISSUE_TEMPLATE/new-svc.yml: missing; run 'goldenpath forms'"},
		},
		{
			name:  "stale adoption form",
			edits: map[string]string{issueform.AdoptFormPath("svc"): "name: old\n"},
			want:  []string{".github/ISSUE_TEMPLATE/adopt-svc.yml:1: out of date"},
		},
		{
			name:  "missing adoption form",
			edits: map[string]string{issueform.AdoptFormPath("svc"): ""},
			want:  []string{".github/ISSUE_TEMPLATE/adopt-svc.yml: missing; run 'goldenpath forms'"},
		},
		{
			name:  "adoption form for a template that is gone",
			edits: map[string]string{issueform.AdoptFormPath("gone"): "name: gone\n"},
			want:  []string{`.github/ISSUE_TEMPLATE/adopt-gone.yml: a request form for template "gone"`},
		},
		{
			name: "parameter colliding with the adoption form's Repositories field",
			edits: map[string]string{"templates/svc/template.yaml": strings.Replace(manifest, "parameters:\n",
				"parameters:\n  - {id: repositories, title: Repos, type: string, example: x}\n", 1)},
			want: []string{`collides with the adoption form's "Repositories" field`},
		},
		{
			name:  "form for a template that is gone",
			edits: map[string]string{issueform.FormPath("gone"): "name: gone\n"},
			want:  []string{`.github/ISSUE_TEMPLATE/new-gone.yml: a request form for template "gone"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := repo(t, tt.edits)
			findings := lint.Lint(context.Background(), fsys, lint.Options{Org: "acme", Forms: fsys})
			var got []string
			for _, f := range findings {
				got = append(got, f.String())
			}
			all := strings.Join(got, "\n")
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("findings on a clean repository:\n%s", all)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("no finding contains %q; got:\n%s", w, all)
				}
			}
		})
	}
}

// TestFlippedBooleansAreRendered proves lint renders both sides of a
// conditional file: a Dockerfile that only exists when docker is false is
// still checked although the example says true.
func TestFlippedBooleansAreRendered(t *testing.T) {
	fsys := repo(t, map[string]string{
		"templates/svc/skeleton/{{ if .docker }}Dockerfile{{ end }}":     "",
		"templates/svc/skeleton/{{ if not .docker }}Dockerfile{{ end }}": "COPY --nosuchflag=1 a b\n",
	})
	findings := lint.Lint(context.Background(), fsys, lint.Options{Forms: fsys})
	if len(findings) == 0 || !strings.Contains(findings[0].String(), "Dockerfile") {
		t.Fatalf("findings = %v, want the Dockerfile rendered with docker=false to be checked", findings)
	}
}

func TestNoFormsCheckWithoutFormsRoot(t *testing.T) {
	fsys := repo(t, map[string]string{issueform.FormPath("svc"): ""})
	if f := lint.Lint(context.Background(), fsys, lint.Options{}); len(f) != 0 {
		t.Fatalf("findings = %v, want none when Forms is nil", f)
	}
}

func TestEmptyRepository(t *testing.T) {
	findings := lint.Lint(context.Background(), fstest.MapFS{"README.md": {Data: []byte("hi")}}, lint.Options{})
	if len(findings) == 0 {
		t.Fatal("no finding for a repository without templates/")
	}
}

func TestBuiltinTemplatesAreClean(t *testing.T) {
	fsys := templates.FS()
	if _, err := fs.Stat(fsys, "templates/go-service/template.yaml"); err != nil {
		t.Fatal(err)
	}
	for _, f := range lint.Lint(context.Background(), fsys, lint.Options{}) {
		t.Errorf("%s", f)
	}
}
