package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormsCommand(t *testing.T) {
	root := templatesRepo(t)
	form := filepath.Join(root, ".github", "ISSUE_TEMPLATE", "new-go-service.yml")

	code, _, stderr := execGoldenpath(t, "forms", root, "--check")
	if code != 1 || !strings.Contains(stderr, "new-go-service.yml: missing") {
		t.Fatalf("--check before writing: exit %d, stderr:\n%s", code, stderr)
	}

	code, stdout, stderr := execGoldenpath(t, "forms", root)
	if code != 0 || !strings.Contains(stdout, "wrote .github/ISSUE_TEMPLATE/new-go-service.yml") {
		t.Fatalf("forms: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	data, err := os.ReadFile(form)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"- goldenpath\n", "- template:go-service\n", "label: Service name\n", "placeholder: payments-api\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("form lacks %q:\n%s", want, data)
		}
	}

	adopt, err := os.ReadFile(filepath.Join(root, ".github", "ISSUE_TEMPLATE", "adopt-go-service.yml"))
	if err != nil {
		t.Fatalf("the adoption form was not written: %v", err)
	}
	for _, want := range []string{"- goldenpath:adopt\n", "- template:go-service\n", "label: Repositories\n"} {
		if !strings.Contains(string(adopt), want) {
			t.Errorf("adoption form lacks %q:\n%s", want, adopt)
		}
	}
	if strings.Contains(string(adopt), "label: Service name\n") {
		t.Error("the adoption form asks for the name: each repository's own name is used")
	}

	if code, stdout, stderr := execGoldenpath(t, "forms", "--check", root); code != 0 || !strings.Contains(stdout, "4 issue forms up to date") {
		t.Fatalf("--check after writing: exit %d: %s%s", code, stdout, stderr)
	}

	// A second run changes nothing.
	if _, stdout, _ := execGoldenpath(t, "forms", root); stdout != "" {
		t.Errorf("second run wrote: %s", stdout)
	}

	// Edit a title: the form goes stale.
	manifest := filepath.Join(root, "templates", "go-service", "template.yaml")
	m, _ := os.ReadFile(manifest)
	if err := os.WriteFile(manifest, []byte(strings.Replace(string(m), "title: Service name", "title: Repository name", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = execGoldenpath(t, "forms", root, "--check")
	if code != 1 || !strings.Contains(stderr, "new-go-service.yml:") || !strings.Contains(stderr, "out of date") {
		t.Fatalf("--check after a title change: exit %d, stderr:\n%s", code, stderr)
	}

	// A form whose template is gone is removed.
	orphan := filepath.Join(root, ".github", "ISSUE_TEMPLATE", "new-gone.yml")
	if err := os.WriteFile(orphan, []byte("name: gone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := execGoldenpath(t, "forms", root); code != 0 {
		t.Fatalf("forms: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(orphan); err == nil {
		t.Error("new-gone.yml survived, want it removed")
	}
	orphanAdopt := filepath.Join(root, ".github", "ISSUE_TEMPLATE", "adopt-gone.yml")
	if err := os.WriteFile(orphanAdopt, []byte("name: gone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := execGoldenpath(t, "forms", root); code != 0 || !strings.Contains(stdout, "removed .github/ISSUE_TEMPLATE/adopt-gone.yml") {
		t.Fatalf("forms: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := execGoldenpath(t, "forms", root, "--check"); code != 0 {
		t.Fatalf("--check after rewriting: exit %d: %s", code, stderr)
	}
}

func TestFormsRefusesABareTemplatesFolder(t *testing.T) {
	root := templatesRepo(t)
	code, _, stderr := execGoldenpath(t, "forms", filepath.Join(root, "templates"))
	if code != 1 || !strings.Contains(stderr, "outside a templates repository") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}
