package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/simworld"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

func TestCheckCommand(t *testing.T) {
	tests := []struct {
		name string
		// prepare changes the checkout (made on svc v1.0.0 of a clone that
		// also tags v1.1.0) and returns check's arguments.
		prepare    func(t *testing.T, src, dir string) []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "up to date", prepare: func(t *testing.T, src, dir string) []string {
			upgradeTo(t, src, dir)
			return []string{"check", "--source", src, dir}
		}, wantStdout: []string{"On the newest version of svc (v1.1.0).", "No file drifted"}},
		{name: "newer version waits", prepare: func(t *testing.T, src, dir string) []string {
			return []string{"check", "--source", src, dir}
		}, wantCode: 2, wantStdout: []string{"svc v1.1.0 is available; this repository is on v1.0.0", "No file drifted"}},
		{name: "file drifted", prepare: func(t *testing.T, src, dir string) []string {
			upgradeTo(t, src, dir)
			put(t, dir, "config.yml", "name: payments\nport: 7070\nextra: true\n")
			return []string{"check", "--source", src, dir}
		}, wantCode: 2, wantStdout: []string{"On the newest version", "1 file(s) differ", "config.yml: 2 lines added, 1 line removed against the golden path"}},
		{name: "file missing", prepare: func(t *testing.T, src, dir string) []string {
			if err := os.Remove(filepath.Join(dir, "config.yml")); err != nil {
				t.Fatal(err)
			}
			return []string{"check", "--source", src, dir}
		}, wantCode: 2, wantStdout: []string{"is available", "config.yml: missing"}},
		{name: "not a generated repository", prepare: func(t *testing.T, src, dir string) []string {
			return []string{"check", "--source", src, t.TempDir()}
		}, wantCode: 1, wantStderr: []string{"has no .goldenpath.yml"}},
		{name: "recorded version not tagged", prepare: func(t *testing.T, src, dir string) []string {
			put(t, dir, ".goldenpath.yml", "template: svc\nversion: 0.9.0\nsource: acme/golden-paths\nanswers: {name: payments, owner: team-pay}\n")
			return []string{"check", "--source", src, dir}
		}, wantCode: 1, wantStderr: []string{"loading svc/v0.9.0, the version .goldenpath.yml records"}},
		{name: "no token for GitHub", prepare: func(t *testing.T, src, dir string) []string {
			t.Setenv("GITHUB_TOKEN", "")
			return []string{"check", dir}
		}, wantCode: 1, wantStderr: []string{"GITHUB_TOKEN is not set"}},
		{name: "help documents the exit status", prepare: func(t *testing.T, src, dir string) []string {
			return []string{"check", "--help"}
		}, wantStderr: []string{"Exit status: 0 on the newest released version", "GITHUB_API_URL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, dir := upgradeFixture(t, "")
			code, stdout, stderr := execGoldenpath(t, tc.prepare(t, src, dir)...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			wantOutput(t, "stdout", stdout, tc.wantStdout)
			wantOutput(t, "stderr", stderr, tc.wantStderr)
		})
	}
}

// upgradeTo brings the checkout to the clone's newest version.
func upgradeTo(t *testing.T, src, dir string) {
	t.Helper()
	if code, _, stderr := execGoldenpath(t, "upgrade", "--source", src, dir); code != 0 {
		t.Fatalf("upgrade: exit %d: %s", code, stderr)
	}
}

// TestCheckCommandAgainstGitHub: without --source, check reads the
// templates repository .goldenpath.yml names from GitHub (here the
// simulator, at GITHUB_API_URL) with GITHUB_TOKEN.
func TestCheckCommandAgainstGitHub(t *testing.T) {
	w := simworld.New(t, simworld.Options{})
	w.Publish("1.0.0", simworld.SkeletonV1, "## 1.0.0\n")
	w.Scaffold("payments", "1.0.0", simworld.SkeletonV1, template.Answers{"name": "payments", "owner": "team-pay"}, "alice")
	files, err := w.Sim.Files(simworld.Org, "payments", "main")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for p, data := range files {
		put(t, dir, p, string(data))
	}
	token, err := w.Sim.InstallationToken(w.Installation)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_API_URL", w.URL)

	t.Setenv("GITHUB_TOKEN", token)
	if code, stdout, stderr := execGoldenpath(t, "check", dir); code != 0 || !strings.Contains(stdout, "On the newest version of svc (v1.0.0).") {
		t.Errorf("up to date: exit %d\n%s%s", code, stdout, stderr)
	}
	next := map[string]string{}
	for p, d := range simworld.SkeletonV1 {
		next[p] = d
	}
	next["config.yml"] = "name: {{ .name }}\nport: 9090\n"
	w.Publish("1.1.0", next, "## 1.1.0\n")
	put(t, dir, "main.go", "package main\n")
	code, stdout, stderr := execGoldenpath(t, "check", dir)
	if code != 2 || !strings.Contains(stdout, "svc v1.1.0 is available") || !strings.Contains(stdout, "main.go: 4 lines removed") {
		t.Errorf("newer version and drift: exit %d\n%s%s", code, stdout, stderr)
	}

	t.Setenv("GITHUB_TOKEN", "ghs_not-a-token")
	if code, _, stderr := execGoldenpath(t, "check", dir); code != 1 || !strings.Contains(stderr, "goldenpath check:") {
		t.Errorf("a bad token: exit %d, stderr %q", code, stderr)
	}
}
