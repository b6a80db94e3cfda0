package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func put(t *testing.T, dir, p, data string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// upgradeFixture makes a templates clone with svc v1.0.0 and v1.1.0 (which
// changes port: in config.yml) and a checkout rendered from v1.0.0 by
// `goldenpath render`, with config.yml's port set to portEdit when not empty.
func upgradeFixture(t *testing.T, portEdit string) (src, dir string) {
	t.Helper()
	testenv.Tool(t, "git")
	src = t.TempDir()
	gitIn(t, src, "init", "-q", "-b", "main")
	manifest := "name: svc\ntitle: Service\ndescription: A service.\nparameters:\n" +
		"  - {id: name, title: Service name, type: string, required: true, example: payments}\n" +
		"  - {id: owner, title: Owning team, type: string, required: true, example: team-pay}\n"
	put(t, src, "templates/svc/template.yaml", manifest)
	put(t, src, "templates/svc/CHANGELOG.md", "## 1.0.0\n\n- First.\n")
	put(t, src, "templates/svc/skeleton/config.yml", "name: {{ .name }}\nport: 8080\n")
	gitIn(t, src, "add", "-A")
	gitIn(t, src, "commit", "-q", "-m", "v1")
	gitIn(t, src, "tag", "svc/v1.0.0")
	dir = filepath.Join(t.TempDir(), "payments")
	if code, _, stderr := execGoldenpath(t, "render", "--template", filepath.Join(src, "templates", "svc"), "--out", dir,
		"--examples", "--org", "acme", "--version", "1.0.0"); code != 0 {
		t.Fatalf("render: %d %s", code, stderr)
	}
	put(t, src, "templates/svc/CHANGELOG.md", "## 1.1.0\n\n- Port 9090.\n\n## 1.0.0\n\n- First.\n")
	put(t, src, "templates/svc/skeleton/config.yml", "name: {{ .name }}\nport: 9090\n")
	gitIn(t, src, "commit", "-q", "-am", "v1.1")
	gitIn(t, src, "tag", "svc/v1.1.0")

	gitIn(t, dir, "init", "-q", "-b", "main")
	if portEdit != "" {
		put(t, dir, "config.yml", "name: payments\nport: "+portEdit+"\n")
	}
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "scaffold")
	return src, dir
}

func TestUpgradeCommand(t *testing.T) {
	tests := []struct {
		name       string
		portEdit   string
		args       func(src, dir string) []string
		wantCode   int
		wantStdout []string
		wantStderr []string
		wantConfig string
	}{
		{name: "clean", args: func(src, dir string) []string { return []string{"upgrade", "--source", src, dir} },
			wantStdout: []string{"Upgraded svc from v1.0.0 to v1.1.0.", "- Port 9090.", "update config.yml"},
			wantConfig: "name: payments\nport: 9090\n"},
		{name: "conflict", portEdit: "7070", args: func(src, dir string) []string { return []string{"upgrade", "--source", src, dir} },
			wantCode: 2, wantStdout: []string{"conflict config.yml (1 conflict)", "Resolve the conflict markers in config.yml"},
			wantStderr: []string{"1 file(s) have conflicts"},
			wantConfig: "name: payments\n<<<<<<< repository\nport: 7070\n=======\nport: 9090\n>>>>>>> template v1.1.0\n"},
		{name: "dry run writes nothing", args: func(src, dir string) []string { return []string{"upgrade", "--dry-run", "--source", src, dir} },
			wantStdout: []string{"Would upgrade svc"}, wantConfig: "name: payments\nport: 8080\n"},
		{name: "already there", args: func(src, dir string) []string { return []string{"upgrade", "--to", "1.0.0", "--source", src, dir} },
			wantStdout: []string{"already on svc v1.0.0"}, wantConfig: "name: payments\nport: 8080\n"},
		{name: "no source", args: func(src, dir string) []string { return []string{"upgrade", dir} },
			wantCode: 1, wantStderr: []string{"--source is required"}, wantConfig: "name: payments\nport: 8080\n"},
		{name: "unknown version", args: func(src, dir string) []string { return []string{"upgrade", "--to", "9.0.0", "--source", src, dir} },
			wantCode: 1, wantStderr: []string{"not tagged"}, wantConfig: "name: payments\nport: 8080\n"},
		{name: "help documents the exit status", args: func(src, dir string) []string { return []string{"upgrade", "--help"} },
			wantStderr: []string{"Exit status: 0 upgraded cleanly", "2 upgraded with\nconflicts"}, wantConfig: "name: payments\nport: 8080\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, dir := upgradeFixture(t, tc.portEdit)
			code, stdout, stderr := execGoldenpath(t, tc.args(src, dir)...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			wantOutput(t, "stdout", stdout, tc.wantStdout)
			wantOutput(t, "stderr", stderr, tc.wantStderr)
			want := tc.wantConfig
			if tc.portEdit != "" && tc.wantCode == 0 {
				want = "name: payments\nport: " + tc.portEdit + "\n"
			}
			got, err := os.ReadFile(filepath.Join(dir, "config.yml"))
			if err != nil || string(got) != want {
				t.Errorf("config.yml = %q (%v), want %q", got, err, want)
			}
		})
	}
}

// wantOutput checks that a command's stdout and stderr contain the wanted
// lines.
func TestUpgradeCommandRefusesDirtyCheckout(t *testing.T) {
	src, dir := upgradeFixture(t, "")
	put(t, dir, "config.yml", "uncommitted\n")
	code, _, stderr := execGoldenpath(t, "upgrade", "--source", src, dir)
	if code != 1 || !strings.Contains(stderr, "uncommitted changes") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "config.yml")); string(got) != "uncommitted\n" {
		t.Errorf("the dirty file was touched: %q", got)
	}
}
