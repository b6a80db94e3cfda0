package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitThenLint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "golden-paths")
	if code, stdout, stderr := execGoldenpath(t, "init", dir); code != 0 || !strings.Contains(stdout, "wrote ") {
		t.Fatalf("init: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if code, stdout, stderr := execGoldenpath(t, "lint", dir); code != 0 {
		t.Fatalf("lint after init: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if code, stdout, stderr := execGoldenpath(t, "forms", "--check", dir); code != 0 {
		t.Fatalf("forms --check after init: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	policy := filepath.Join(dir, "goldenpath.yaml")
	if err := os.WriteFile(policy, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := execGoldenpath(t, "init", dir)
	if code != 1 || !strings.Contains(stderr, "not empty") || !strings.Contains(stderr, "--force") {
		t.Fatalf("init into a non-empty folder: exit %d, stderr: %s", code, stderr)
	}
	if data, _ := os.ReadFile(policy); string(data) != "mine\n" {
		t.Fatalf("a refused init changed goldenpath.yaml: %q", data)
	}
	if code, _, stderr := execGoldenpath(t, "init", "--force", dir); code != 0 {
		t.Fatalf("init --force: exit %d, stderr: %s", code, stderr)
	}
	if data, _ := os.ReadFile(policy); !strings.Contains(string(data), "requesters:") {
		t.Fatalf("init --force left goldenpath.yaml as %q", data)
	}

	if code, _, stderr := execGoldenpath(t, "init", "a", "b"); code != 2 || !strings.Contains(stderr, "at most one") {
		t.Fatalf("init with two folders: exit %d, stderr: %s", code, stderr)
	}
}
