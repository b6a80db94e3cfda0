package templatesrc

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// TestFS: the read-only FS passes the standard library's file system
// checks, keeps modes and links, and implies folders.
func TestFS(t *testing.T) {
	f := NewFS(map[string]File{
		"templates/svc/template.yaml":          {Data: []byte("name: svc\n"), Mode: 0o644},
		"templates/svc/skeleton/run.sh":        {Data: []byte("#!/bin/sh\n"), Mode: 0o755},
		"templates/svc/skeleton/link":          {Data: []byte("run.sh"), Mode: fs.ModeSymlink | 0o777},
		"templates/svc/skeleton/docs/index.md": {Data: []byte("# Docs\n"), Mode: 0o644 | fs.ModeSetuid},
		"../escape":                            {Data: []byte("no")},
		"README.md":                            {Data: []byte("hi\n"), Mode: 0o600},
	})
	if err := fstest.TestFS(f, "README.md", "templates/svc/template.yaml", "templates/svc/skeleton/run.sh", "templates/svc/skeleton/docs/index.md"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		mode fs.FileMode
	}{
		{"templates/svc/skeleton/run.sh", 0o755},
		{"templates/svc/skeleton/link", fs.ModeSymlink | 0o777},
		{"templates/svc/skeleton/docs/index.md", 0o644},
		{"templates/svc/skeleton/docs", fs.ModeDir | 0o755},
		{"README.md", 0o600},
	}
	for _, tt := range tests {
		st, err := fs.Stat(f, tt.path)
		if err != nil {
			t.Errorf("stat %s: %v", tt.path, err)
			continue
		}
		if st.Mode() != tt.mode {
			t.Errorf("%s: mode %v, want %v", tt.path, st.Mode(), tt.mode)
		}
	}
	if _, err := fs.Stat(f, "../escape"); err == nil {
		t.Error("a path leaving the root is served")
	}
	sub, err := fs.Sub(f, "templates/svc")
	if err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(sub, "template.yaml")
	if err != nil || string(data) != "name: svc\n" {
		t.Errorf("template.yaml through fs.Sub = %q, %v", data, err)
	}
	data[0] = 'X'
	if again, _ := fs.ReadFile(sub, "template.yaml"); string(again) != "name: svc\n" {
		t.Error("a caller changed the file system's bytes")
	}
}

const linkedTemplate = `name: linked
title: Linked
description: A template with a link.
parameters:
  - id: name
    title: Name
    type: string
    required: true
    example: svc
  - id: owner
    title: Owner
    type: string
    required: true
    example: team
`

// TestLinksReachTheRenderer: a link in a template read from GitHub or git
// is refused by the renderer, as on disk, rather than rendered as a file.
func TestLinksReachTheRenderer(t *testing.T) {
	files := map[string]File{
		"templates/linked/template.yaml": {Data: []byte(linkedTemplate), Mode: 0o644},
		"templates/linked/skeleton/a.sh": {Data: []byte("echo {{ .name }}\n"), Mode: 0o755},
		"templates/linked/skeleton/etc":  {Data: []byte("../../../../etc"), Mode: fs.ModeSymlink | 0o777},
	}
	tmpl, err := load(NewFS(files), "linked", "linked/v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	_, err = template.Render(tmpl, template.Answers{"name": "svc", "owner": "team"}, template.RenderContext{Org: "acme"})
	if err == nil || !strings.Contains(err.Error(), "skeleton/etc is a symbolic link") {
		t.Fatalf("render error = %v, want the link refused", err)
	}
}

// TestLoadChecksTheManifestName: a folder whose manifest names another
// template is broken, whoever reads it.
func TestLoadChecksTheManifestName(t *testing.T) {
	files := map[string]File{
		"templates/other/template.yaml":      {Data: []byte(linkedTemplate), Mode: 0o644},
		"templates/other/skeleton/README.md": {Data: []byte("hi\n"), Mode: 0o644},
	}
	_, err := load(NewFS(files), "other", "other/v1.0.0")
	var broken *BrokenError
	if !errors.As(err, &broken) || !strings.Contains(err.Error(), `names the template "linked"`) {
		t.Fatalf("load = %v, want a *BrokenError naming the manifest's name", err)
	}
}
