package templatesrc

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// gitRepo is a clone-like repository with two versions of svc and a policy
// at the second; it returns its folder.
func gitRepo(t *testing.T) string {
	t.Helper()
	testenv.Tool(t, "git")
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(rel, data string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	write("templates/svc/template.yaml", strings.Replace(linkedTemplate, "name: linked", "name: svc", 1), 0o644)
	write("templates/svc/skeleton/README.md", "# {{ .name }}\n", 0o644)
	write("templates/svc/skeleton/run.sh", "#!/bin/sh\n", 0o755)
	git("add", "-A")
	git("commit", "-q", "-m", "v1")
	git("tag", "svc/v1.0.0")
	write("goldenpath.yaml", "upgrades: {prHourlyLimit: 3}\n", 0o644)
	git("add", "-A")
	git("commit", "-q", "-m", "v1.1")
	git("tag", "svc/v1.1.0")
	git("tag", "svc/v2.0.0-rc.1")
	return dir
}

// TestGit: the local-clone reader answers as the GitHub one does.
func TestGit(t *testing.T) {
	ctx := context.Background()
	g := Git{Dir: gitRepo(t)}
	v, err := g.Latest(ctx, "svc")
	if err != nil || v.Tag != "svc/v1.1.0" {
		t.Fatalf("Latest = %+v, %v; want svc/v1.1.0 (prereleases are not published)", v, err)
	}
	if _, err := g.Latest(ctx, "api"); !errors.Is(err, ErrNoVersion) {
		t.Errorf("Latest of a template without tags = %v, want ErrNoVersion", err)
	}
	tmpl, err := g.At(ctx, "svc/v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := fs.Stat(tmpl.FS, "skeleton/run.sh"); err != nil || st.Mode()&0o111 == 0 {
		t.Errorf("skeleton/run.sh: %v, %v; want it executable", st, err)
	}
	if _, err := g.At(ctx, "svc/v9.0.0"); err == nil {
		t.Error("At a tag that does not exist: want an error")
	}
	pol, err := g.Policy(ctx, "svc/v1.1.0")
	if err != nil || pol.Upgrades.PRHourlyLimit != 3 {
		t.Errorf("Policy at v1.1.0 = %+v, %v; want prHourlyLimit 3", pol.Upgrades, err)
	}
	if pol, err := g.Policy(ctx, "svc/v1.0.0"); err != nil || pol.Upgrades.PRHourlyLimit != 0 {
		t.Errorf("Policy where there is none = %+v, %v; want the default", pol.Upgrades, err)
	}
	if _, err := g.Policy(ctx, "no-such-ref"); err == nil {
		t.Error("Policy at a ref that does not exist: want an error")
	}
}
