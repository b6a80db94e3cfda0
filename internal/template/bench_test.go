package template_test

import (
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// BenchmarkRender renders the built-in go-service template and a generated
// template of 500 small files in nested folders with templated names (the
// shape where per-file set-up costs show).
//
//	go test -run '^$' -bench Render -benchmem ./internal/template
func BenchmarkRender(b *testing.B) {
	sub, err := fs.Sub(templates.FS(), "templates/go-service")
	if err != nil {
		b.Fatal(err)
	}
	goService, err := template.Load(sub)
	if err != nil {
		b.Fatal(err)
	}
	big := fstest.MapFS{template.ManifestFileName: {Data: []byte(`name: big
title: Big
description: 500 files.
parameters:
  - {id: name, title: Name, type: string, required: true, example: svc}
  - {id: owner, title: Owner, type: string, required: true, example: team}
`)}}
	for i := range 500 {
		p := fmt.Sprintf("skeleton/pkg%d/{{ .name }}_%d/file%d.go.tmpl", i%10, i%50, i)
		big[p] = &fstest.MapFile{Mode: 0o644, Data: []byte(fmt.Sprintf(
			"// Package {{ .name | replace \"-\" \"_\" }} is file %d, owned by {{ .owner | upper }}.\npackage x\n\nconst N%d = %q\n{{ range $i, $x := list 1 2 3 }}// {{ $i }}: {{ $x }}\n{{ end }}", i, i, "{{ .goldenpath.org }}/{{ .name }}"))}
	}
	bigTemplate, err := template.Load(big)
	if err != nil {
		b.Fatal(err)
	}
	for _, bench := range []struct {
		name string
		tpl  *template.Template
	}{{"go-service", goService}, {"500-files", bigTemplate}} {
		answers, err := bench.tpl.Manifest.Validate(map[string]any(bench.tpl.Manifest.ExampleAnswers()))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bench.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := template.Render(bench.tpl, answers, template.RenderContext{Org: "acme"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
