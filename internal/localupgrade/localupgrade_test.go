package localupgrade

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/simworld"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// manifest is the test template; v1 its first version's skeleton, later
// versions are edits of it.
const manifest = simworld.Manifest

var v1 = simworld.SkeletonV1

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func initRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	return dir
}

// publish commits the template's skeleton and changelog and tags the version.
func publish(t *testing.T, src, version string, skel map[string]string, changelog string) {
	t.Helper()
	tdir := filepath.Join(src, "templates", "svc")
	_ = os.RemoveAll(filepath.Join(tdir, "skeleton"))
	files := map[string]string{"template.yaml": manifest, "CHANGELOG.md": changelog}
	for p, d := range skel {
		files["skeleton/"+p] = d
	}
	writeFiles(t, tdir, files)
	run(t, src, "add", "-A")
	run(t, src, "commit", "-q", "--allow-empty", "-m", "svc "+version)
	run(t, src, "tag", "svc/v"+version)
}

// scaffold renders version of the template in src into a new git checkout.
func scaffold(t *testing.T, src, version string) string {
	t.Helper()
	tpl, err := templatesrc.Git{Dir: src}.At(context.Background(), "svc/v"+version)
	if err != nil {
		t.Fatal(err)
	}
	answers := template.Answers{"name": "payments", "owner": "team-pay"}
	files, err := template.Render(tpl, answers, template.RenderContext{Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	dir := initRepo(t)
	m := map[string]string{}
	for _, f := range files {
		m[f.Path] = string(f.Data)
	}
	af := template.AnswersFile{Template: "svc", Version: version, Source: "acme/golden-paths", Answers: answers}
	m[template.AnswersFileName] = string(af.Marshal())
	writeFiles(t, dir, m)
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "scaffold")
	return dir
}

func read(t *testing.T, dir, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunUpgradesKeepingOwnersEdits(t *testing.T) {
	testenv.Tool(t, "git")
	src := initRepo(t)
	publish(t, src, "1.0.0", v1, "## 1.0.0\n\n- First.\n")
	v110 := simworld.Edited(v1, map[string]string{
		"README.md":       v1["README.md"] + "\nSee the runbook.\n",
		"docs/runbook.md": "# Runbook for {{ .name }}\n",
	})
	publish(t, src, "1.1.0", v110, "## 1.1.0\n\n- Runbook.\n\n## 1.0.0\n\n- First.\n")
	publish(t, src, "1.2.0-rc.1", simworld.Edited(v110, map[string]string{"config.yml": "name: {{ .name }}\nport: 9090\n"}), "## 1.2.0-rc.1\n\n- Port.\n")

	dir := scaffold(t, src, "1.0.0")
	// The owner edits a file the template also changes (elsewhere) and one it does not.
	writeFiles(t, dir, map[string]string{
		"README.md": "# payments\n\nThe payments API.\n\nOwned by team-pay.\n",
		"main.go":   "package main\n\nfunc main() {\n\tprintln(\"payments v2\")\n}\n",
	})
	run(t, dir, "commit", "-q", "-am", "owner edits")

	res, err := Run(context.Background(), Options{Dir: dir, Source: src})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.To.String() != "1.1.0" {
		t.Errorf("To = %s, want 1.1.0 (the prerelease must be skipped)", res.To)
	}
	if len(res.Conflicts()) != 0 {
		t.Errorf("conflicts: %+v", res.Conflicts())
	}
	if got, want := read(t, dir, "README.md"), "# payments\n\nThe payments API.\n\nOwned by team-pay.\n\nSee the runbook.\n"; got != want {
		t.Errorf("README.md = %q, want %q", got, want)
	}
	if got := read(t, dir, "main.go"); !strings.Contains(got, "payments v2") {
		t.Errorf("main.go lost the owner's edit: %q", got)
	}
	if got := read(t, dir, "docs/runbook.md"); got != "# Runbook for payments\n" {
		t.Errorf("docs/runbook.md = %q", got)
	}
	af, err := template.ParseAnswersFile([]byte(read(t, dir, template.AnswersFileName)))
	if err != nil || af.Version != "1.1.0" || af.Answers["name"] != "payments" || af.Source != "acme/golden-paths" {
		t.Errorf("answers file = %+v, %v", af, err)
	}
	if !strings.Contains(res.Changelog, "Runbook") || strings.Contains(res.Changelog, "First") {
		t.Errorf("changelog = %q, want only 1.1.0's section", res.Changelog)
	}
	if want := []string{".goldenpath.yml", "README.md", "docs/runbook.md"}; strings.Join(res.Written, ",") != strings.Join(want, ",") {
		t.Errorf("written = %v, want %v", res.Written, want)
	}

	// Now dirty: a second run is refused.
	if _, err := Run(context.Background(), Options{Dir: dir, Source: src}); !errors.Is(err, ErrDirty) {
		t.Errorf("second run on a dirty tree: err = %v, want ErrDirty", err)
	}
	run(t, dir, "commit", "-q", "-am", "upgrade")
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "new files")
	res, err = Run(context.Background(), Options{Dir: dir, Source: src})
	if err != nil || !res.UpToDate {
		t.Fatalf("run on an up-to-date checkout: %+v, %v", res, err)
	}
	if st := run(t, dir, "status", "--porcelain"); st != "" {
		t.Errorf("an up-to-date run wrote: %s", st)
	}
}

func TestRunCases(t *testing.T) {
	testenv.Tool(t, "git")
	src := initRepo(t)
	publish(t, src, "1.0.0", v1, "## 1.0.0\n")
	publish(t, src, "1.1.0", simworld.Edited(v1, map[string]string{"config.yml": "name: {{ .name }}\nport: 9090\n"}), "## 1.1.0\n")
	publish(t, src, "2.0.0", simworld.Edited(v1, map[string]string{"config.yml": "", "run.sh": "#!/bin/sh\n"}), "## 2.0.0\n")

	tests := []struct {
		name    string
		to      string
		edit    map[string]string
		wantErr string
		check   func(t *testing.T, dir string, res *Result)
	}{
		{name: "conflict", to: "1.1.0", edit: map[string]string{"config.yml": "name: payments\nport: 7070\n"},
			check: func(t *testing.T, dir string, res *Result) {
				c := res.Conflicts()
				if len(c) != 1 || c[0].Path != "config.yml" {
					t.Fatalf("conflicts = %+v", c)
				}
				want := "name: payments\n<<<<<<< repository\nport: 7070\n=======\nport: 9090\n>>>>>>> template v1.1.0\n"
				if got := read(t, dir, "config.yml"); got != want {
					t.Errorf("config.yml = %q, want %q", got, want)
				}
			}},
		{name: "explicit older target is up to date", to: "v1.0.0",
			check: func(t *testing.T, dir string, res *Result) {
				if !res.UpToDate || len(res.Written) != 0 {
					t.Errorf("res = %+v", res)
				}
			}},
		{name: "file deleted by the template goes, new executable comes", to: "2.0.0",
			check: func(t *testing.T, dir string, res *Result) {
				if _, err := os.Stat(filepath.Join(dir, "config.yml")); !os.IsNotExist(err) {
					t.Errorf("config.yml still there: %v", err)
				}
				if read(t, dir, "run.sh") != "#!/bin/sh\n" {
					t.Errorf("run.sh not added")
				}
			}},
		{name: "unknown version", to: "3.0.0", wantErr: "not tagged"},
		{name: "not semver", to: "latest", wantErr: "not semver"},
		{name: "dirty", edit: map[string]string{"README.md": "mine\n"}, wantErr: "uncommitted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := scaffold(t, src, "1.0.0")
			if tc.edit != nil {
				writeFiles(t, dir, tc.edit)
				if tc.name != "dirty" {
					run(t, dir, "commit", "-q", "-am", "edit")
				}
			}
			res, err := Run(context.Background(), Options{Dir: dir, Source: src, To: tc.to})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			tc.check(t, dir, res)
		})
	}
}

func TestRunRefusesANonGoldenPathCheckout(t *testing.T) {
	testenv.Tool(t, "git")
	dir := initRepo(t)
	_, err := Run(context.Background(), Options{Dir: dir, Source: dir})
	if err == nil || !strings.Contains(err.Error(), "not made from a golden path template") {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteFileRefusesEscapes(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skip("symlinks unsupported")
	}
	for _, p := range []string{"../x", "link/x"} {
		if err := writeFile(dir, p, &merge.FileEntry{Data: []byte("x")}); err == nil {
			t.Errorf("writeFile(%q) succeeded", p)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote outside: %v", entries)
	}
}
