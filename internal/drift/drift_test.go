package drift

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/template"
)

func TestBlobIDIsGits(t *testing.T) {
	// As `git hash-object` prints them.
	for data, want := range map[string]string{
		"hello\n": "ce013625030ba8dba906f756967f9e9ca394464a",
		"":        "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
	} {
		if got := BlobID([]byte(data)); got != want {
			t.Errorf("BlobID(%q) = %s, want %s", data, got, want)
		}
	}
}

func TestExpectedAndCompare(t *testing.T) {
	fsys := fstest.MapFS{
		template.ManifestFileName: {Data: []byte("name: svc\ntitle: S\ndescription: A service.\nparameters:\n" +
			"  - {id: name, title: Name, type: string, required: true, example: pay}\n  - {id: owner, title: Owner, type: string, required: true, example: team-a}\n" +
			"options:\n  skipIfExists: [notes.md]\n")},
		"skeleton/README.md":  {Data: []byte("# {{ .name }}\n\nOwned by {{ .owner }}.\n")},
		"skeleton/CODEOWNERS": {Data: []byte("* @{{ .goldenpath.org }}/{{ .owner }}\n")},
		"skeleton/notes.md":   {Data: []byte("edit me\n")},
	}
	tpl, err := template.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	af := template.AnswersFile{Template: "svc", Version: "1.0.0", Answers: template.Answers{"name": "pay", "owner": "team-a"}}
	want, err := Expected(context.Background(), tpl, af, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := want["notes.md"]; ok || len(want) != 2 || string(want["CODEOWNERS"].Data) != "* @acme/team-a\n" {
		t.Fatalf("Expected = %v, want README.md and CODEOWNERS (not the create-once notes.md)", want)
	}
	have := map[string]string{"README.md": want["README.md"].ID, "CODEOWNERS": BlobID([]byte("* @acme/someone-else\n")), "extra.txt": "x"}
	if got := Compare(want, have); len(got) != 1 || got[0] != "CODEOWNERS" {
		t.Errorf("Compare = %v, want [CODEOWNERS]", got)
	}
	delete(have, "README.md")
	if got := Compare(want, have); len(got) != 2 || got[0] != "CODEOWNERS" || got[1] != "README.md" {
		t.Errorf("Compare = %v, want [CODEOWNERS README.md]", got)
	}
	_, err = Expected(context.Background(), tpl, template.AnswersFile{Template: "svc", Version: "1.0.0", Answers: template.Answers{"name": "pay"}}, "acme")
	if err == nil || !strings.Contains(err.Error(), "checking the answers") {
		t.Errorf("answers without owner: %v", err)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		want, have string
		missing    bool
		line       string
	}{
		{"a\nb\n", "", true, "missing (the golden path renders it)"},
		{"a\nb\n", "a\nB\nc\n", false, "2 lines added, 1 line removed against the golden path"},
		{"a\nb\n", "a\n", false, "1 line removed against the golden path"},
	}
	for _, tt := range tests {
		var have []byte
		if !tt.missing {
			have = []byte(tt.have)
		}
		if got := Describe("f", []byte(tt.want), have).Summary(); got != tt.line {
			t.Errorf("Summary = %q, want %q", got, tt.line)
		}
	}
}

// TestExpectedStopsWithContext: the dashboard scan's render stops with its
// job's context.
func TestExpectedStopsWithContext(t *testing.T) {
	fsys := fstest.MapFS{
		template.ManifestFileName: {Data: []byte("name: svc\ntitle: S\ndescription: A service.\nparameters:\n" +
			"  - {id: name, title: Name, type: string, required: true, example: pay}\n  - {id: owner, title: Owner, type: string, required: true, example: team-a}\n")},
		"skeleton/a.txt": {Data: []byte("{{ range 1000000000000 }}{{ end }}")},
	}
	tpl, err := template.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err = Expected(ctx, tpl, template.AnswersFile{Template: "svc", Version: "1.0.0", Answers: template.Answers{"name": "pay", "owner": "team-a"}}, "acme")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Expected with a cancelled context = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the render took %s to stop", d)
	}
}
