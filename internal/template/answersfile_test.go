package template

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAnswersFileRoundTrip(t *testing.T) {
	a := AnswersFile{
		Template: "go-service",
		Version:  "1.2.0",
		Source:   "acme/golden-paths",
		Answers:  Answers{"name": "payments", "owner": "team-pay", "docker": true, "langs": []string{"go", "node"}, "description": "two\nlines"},
		Request:  "https://github.com/acme/golden-paths/issues/42",
	}
	data := a.Marshal()
	want := `# Written by goldenpath: the template, version and answers this repository
# was generated from. Template upgrades read and update it.
template: go-service
version: 1.2.0
source: acme/golden-paths
answers:
  description: |-
    two
    lines
  docker: true
  langs:
    - go
    - node
  name: payments
  owner: team-pay
request: https://github.com/acme/golden-paths/issues/42
`
	if string(data) != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", data, want)
	}
	back, err := ParseAnswersFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, a) {
		t.Errorf("round trip: %#v\nwant %#v", back, a)
	}
	noReq := AnswersFile{Template: "t", Version: DevVersion}
	if s := string(noReq.Marshal()); strings.Contains(s, "request") || !strings.Contains(s, "answers: {}") {
		t.Errorf("Marshal without request:\n%s", s)
	}
}

func TestParseAnswersFileErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"template: x\n", "missing version"},
		{"version: 1.0.0\n", "missing template"},
		{"template: x\nversion: 1.0.0\nextra: 1\n", "field extra not found"},
		{"template: x\nversion: 1.0.0\nanswers: {a: {b: c}}\n", "answer a holds a nested value"},
		{"[", "parsing .goldenpath.yml"},
	} {
		if _, err := ParseAnswersFile([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseAnswersFile(%q) error %v, want %q", tt.in, err, tt.want)
		}
	}
	a, err := ParseAnswersFile([]byte("template: x\nversion: 1.0.0\nanswers: {port: 8080, on: yes, off: false, l: [a, 1]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Answers{"port": "8080", "on": "yes", "off": false, "l": []string{"a", "1"}}
	if !reflect.DeepEqual(a.Answers, want) {
		t.Errorf("answers %#v, want %#v", a.Answers, want)
	}
}

func TestLoadRepo(t *testing.T) {
	other := strings.Replace(minimalManifest, "name: svc", "name: other", 1)
	fsys := fstest.MapFS{
		"templates/svc/template.yaml":         {Data: []byte(minimalManifest)},
		"templates/svc/skeleton/README.md":    {Data: []byte("x")},
		"templates/svc/CHANGELOG.md":          {Data: []byte("## 1.0.0\n- First.\n")},
		"templates/wrong/template.yaml":       {Data: []byte(other)},
		"templates/wrong/skeleton/README.md":  {Data: []byte("x")},
		"templates/noskel/template.yaml":      {Data: []byte(strings.Replace(minimalManifest, "name: svc", "name: noskel", 1))},
		"templates/partials/header.txt":       {Data: []byte("not a template")},
		"templates/broken/template.yaml":      {Data: []byte(minimalManifest + "bogus: 1\n")},
		"templates/broken/skeleton/README.md": {Data: []byte("x")},
	}
	got, err := LoadRepo(fsys)
	if len(got) != 1 || got["svc"] == nil {
		t.Fatalf("loaded %v, want only svc", got)
	}
	if string(got["svc"].Changelog()) != "## 1.0.0\n- First.\n" {
		t.Errorf("changelog %q", got["svc"].Changelog())
	}
	for _, w := range []string{
		`templates/wrong: the manifest's name is "other"; it must equal the folder name "wrong"`,
		`templates/noskel: template noskel: reading skeleton/`,
		`templates/broken: checking template.yaml:` + "\n" + `line 15: unknown key "bogus"`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v\nwant it to contain %q", err, w)
		}
	}
}
