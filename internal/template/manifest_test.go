package template

import (
	"strings"
	"testing"
)

// minimalManifest is the smallest valid manifest; tests append to it.
const minimalManifest = `name: svc
title: Service
description: A service.
parameters:
  - id: name
    title: Service name
    type: string
    required: true
    example: payments
  - id: owner
    title: Owning team
    type: string
    required: true
    example: team-pay
`

func mustManifest(t *testing.T, y string) *Manifest {
	t.Helper()
	m, err := ParseManifest([]byte(y))
	if err != nil {
		t.Fatalf("ParseManifest: %v", err)
	}
	return m
}

func TestParseManifestValid(t *testing.T) {
	m := mustManifest(t, minimalManifest+`  - id: lifecycle
    title: Lifecycle
    type: choice
    options: [experimental, production]
    default: experimental
    example: production
  - id: langs
    title: Languages
    type: multichoice
    options: [go, node]
    example: [go]
    default: "node, go"
  - id: docker
    title: Container image
    type: boolean
    default: "yes"
    example: true
  - id: port
    title: Port
    type: string
    pattern: '[0-9]+'
    example: 8080
options:
  delimiters: ["[[", "]]"]
  verbatim: [".github/**/*.yml"]
  exclude: ["**/.DS_Store"]
  migrations:
    - version: 1.2.0
      rename: [{from: old.txt, to: new.txt}]
      delete: [gone.txt]
`)
	if m.Name != "svc" || len(m.Parameters) != 6 {
		t.Fatalf("got %+v", m)
	}
	lc, _ := m.Param("lifecycle")
	if lc.Default != "experimental" {
		t.Errorf("lifecycle default = %#v", lc.Default)
	}
	langs, _ := m.Param("langs")
	if got := strings.Join(langs.Default.([]string), "|"); got != "go|node" {
		t.Errorf("multichoice default normalised to %q, want options order go|node", got)
	}
	docker, _ := m.Param("docker")
	if docker.Default != true {
		t.Errorf("boolean default %#v, want true", docker.Default)
	}
	port, _ := m.Param("port")
	if port.Example != "8080" {
		t.Errorf("numeric example %#v, want the string 8080", port.Example)
	}
	if m.LeftDelim() != "[[" || m.RightDelim() != "]]" {
		t.Errorf("delims %s %s", m.LeftDelim(), m.RightDelim())
	}
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every substring must appear in the error
	}{
		{"unknown top-level key with line", minimalManifest + "colour: blue\n", []string{`line 15: unknown key "colour" in the manifest`}},
		{"unknown parameter key with line", strings.Replace(minimalManifest, "    example: team-pay\n", "    example: team-pay\n    placeholder: x\n", 1),
			[]string{`line 15: unknown key "placeholder" in parameters[1]`}},
		{"unknown options key", minimalManifest + "options:\n  delims: ['[[', ']]']\n", []string{`line 16: unknown key "delims" in options`}},
		{"unknown migration key", minimalManifest + "options:\n  migrations:\n    - version: 1.0.0\n      move: []\n", []string{`line 18: unknown key "move" in options.migrations[0]`}},
		{"bad name", strings.Replace(minimalManifest, "name: svc", "name: My_Svc", 1), []string{`name "My_Svc" must match`}},
		{"name parameter missing", strings.Replace(minimalManifest, "id: name", "id: title", 1), []string{`parameter "name" is required`}},
		{"owner parameter missing", strings.Replace(minimalManifest, "id: owner", "id: team", 1), []string{`parameter "owner" is required`}},
		{"duplicate id", minimalManifest + "  - {id: owner, title: Other, type: string, example: x}\n", []string{`id "owner" is used twice`}},
		{"duplicate title", minimalManifest + "  - {id: other, title: owning team, type: string, example: x}\n", []string{`title "owning team" is also used by owner`}},
		{"duplicate title but for spaces", minimalManifest + "  - {id: other, title: \" Owning   team\", type: string, example: x}\n", []string{`title " Owning   team" is also used by owner`}},
		{"bad type", minimalManifest + "  - {id: n, title: N, type: number, example: 1}\n", []string{`type "number" must be one of`}},
		{"choice without options", minimalManifest + "  - {id: c, title: C, type: choice, example: a}\n", []string{"a choice parameter needs options"}},
		{"default not an option", minimalManifest + "  - {id: c, title: C, type: choice, options: [a, b], default: z, example: a}\n", []string{`default "z" is not one of the options`}},
		{"example not an option", minimalManifest + "  - {id: c, title: C, type: multichoice, options: [a, b], example: [a, q]}\n", []string{`example "q" is not one of the options`}},
		{"bad boolean default", minimalManifest + "  - {id: b, title: B, type: boolean, default: maybe, example: true}\n", []string{`default must be true or false`}},
		{"pattern does not compile", minimalManifest + "  - {id: p, title: P, type: string, pattern: '(', example: x}\n", []string{"pattern does not compile"}},
		{"example fails pattern", minimalManifest + "  - {id: p, title: P, type: string, pattern: '[0-9]+', example: abc}\n", []string{"example must match the pattern"}},
		{"reserved id", minimalManifest + "  - {id: goldenpath, title: G, type: string, example: x}\n", []string{"the id goldenpath is reserved"}},
		{"id not a template identifier", minimalManifest + "  - {id: my-id, title: G, type: string, example: x}\n", []string{"id must match"}},
		{"missing example", minimalManifest + "  - {id: p, title: P, type: string}\n", []string{"example is required"}},
		{"bad delimiters", minimalManifest + "options:\n  delimiters: ['[[']\n", []string{"options.delimiters must be two"}},
		{"bad migration version", minimalManifest + "options:\n  migrations:\n    - version: one\n", []string{`version "one" is not a semantic version`}},
		{"migration path escapes", minimalManifest + "options:\n  migrations:\n    - version: 1.0.0\n      delete: [../x]\n", []string{`contains ".."`}},
		{"min greater than max", minimalManifest + "  - {id: p, title: P, type: string, minLength: 5, maxLength: 2, example: abc}\n", []string{"minLength 5 is greater than maxLength 2"}},
		{"None option", minimalManifest + "  - {id: c, title: C, type: choice, options: [None, a], example: a}\n", []string{`option "None" is reserved`}},
		{"n/a option", minimalManifest + "  - {id: c, title: C, type: multichoice, options: [a, N/A], example: [a]}\n", []string{`option "N/A" is reserved`}},
		{"not yaml", "name: [", []string{"parsing template.yaml"}},
		{"empty", "", []string{"the file is empty"}},
		{"several problems at once", strings.Replace(minimalManifest, "name: svc", "name: Bad", 1) + "  - {id: c, title: C, type: choice, example: a}\n",
			[]string{`name "Bad" must match`, "a choice parameter needs options"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifest([]byte(tt.yaml))
			if err == nil {
				t.Fatal("ParseManifest accepted an invalid manifest")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}
