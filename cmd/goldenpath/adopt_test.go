package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
	"github.com/goldenpath-dev/goldenpath/internal/catalog/catalogtest"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

const (
	distrolessV1 = "gcr.io/distroless/static-debian12:nonroot"
	distrolessV2 = "gcr.io/distroless/static-debian13:nonroot"
)

// adoptSource is a clone of a templates repository holding the built-in
// templates, with go-service tagged v1.0.0 and v1.1.0 (which moves the
// runtime image to Debian 13), and origin acme/golden-paths.
func adoptSource(t *testing.T) string {
	t.Helper()
	testenv.Tool(t, "git")
	src := templatesRepo(t)
	gitIn(t, src, "init", "-q", "-b", "main")
	gitIn(t, src, "remote", "add", "origin", "https://github.com/acme/golden-paths.git")
	gitIn(t, src, "add", "-A")
	gitIn(t, src, "commit", "-q", "-m", "v1")
	gitIn(t, src, "tag", "go-service/v1.0.0")
	dockerfile := filepath.Join(src, "templates", "go-service", "skeleton", "Dockerfile")
	data, err := os.ReadFile(dockerfile)
	if err != nil || !strings.Contains(string(data), distrolessV1) {
		t.Fatalf("the skeleton's Dockerfile no longer runs on %s (%v): update this test", distrolessV1, err)
	}
	put(t, src, "templates/go-service/skeleton/Dockerfile", strings.Replace(string(data), distrolessV1, distrolessV2, 1))
	changelog, _ := os.ReadFile(filepath.Join(src, "templates", "go-service", "CHANGELOG.md"))
	put(t, src, "templates/go-service/CHANGELOG.md", "## 1.1.0\n\n- Run on Debian 13.\n\n"+string(changelog))
	gitIn(t, src, "commit", "-q", "-am", "v1.1")
	gitIn(t, src, "tag", "go-service/v1.1.0")
	return src
}

// existingRepo is a checkout of acme/payments made without goldenpath: its
// own README.md, Dockerfile and CODEOWNERS, and the given extra files.
func existingRepo(t *testing.T, dockerfile string, extra map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "checkout")
	files := map[string]string{
		"README.md":  "# Payments\n\nOur own notes, kept as they are.\n",
		"Dockerfile": dockerfile,
		"CODEOWNERS": "* @acme/team-x\n",
		"main.go":    "package main\n\nfunc main() {}\n",
	}
	for p, data := range extra {
		files[p] = data
	}
	for p, data := range files {
		put(t, dir, p, data)
	}
	gitIn(t, dir, "init", "-q", "-b", "main")
	gitIn(t, dir, "remote", "add", "origin", "git@github.com:acme/payments.git")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "our service")
	return dir
}

// ownDockerfile is not the golden path's at all.
const ownDockerfile = "FROM alpine:3.20\nCOPY payments /payments\nCMD [\"/payments\"]\n"

// derivedDockerfile is the golden path's v1.0.0 Dockerfile for payments,
// once copied by hand and edited (another port).
func derivedDockerfile(t *testing.T, src string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", src, "show", "go-service/v1.0.0:templates/go-service/skeleton/Dockerfile").Output()
	if err != nil {
		t.Fatal(err)
	}
	d := strings.ReplaceAll(string(out), "{{ .name }}", "payments")
	if !strings.Contains(d, "EXPOSE 8080\n") {
		t.Fatal("the skeleton's Dockerfile no longer exposes 8080: update this test")
	}
	return strings.Replace(d, "EXPOSE 8080\n", "EXPOSE 9000\n", 1)
}

// wantOutput checks that a command's output (stdout or stderr) holds every
// string of want.
func wantOutput(t *testing.T, stream, got string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", stream, w, got)
		}
	}
}

func readFile(t *testing.T, dir, p string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestAdoptThenUpgrade is issue 9's local "must show": an existing checkout
// with its own README.md, Dockerfile and CODEOWNERS (* @acme/team-x) and no
// catalog adopts go-service v1.0.0 — catalog-info.yaml (owner team-x, valid
// by Backstage's validators), the CI workflow and .goldenpath.yml are added,
// README.md, Dockerfile and CODEOWNERS are kept byte for byte — and then
// `goldenpath upgrade` to v1.1.0 merges three ways into the kept Dockerfile.
func TestAdoptThenUpgrade(t *testing.T) {
	src := adoptSource(t)
	tests := []struct {
		name       string
		dockerfile func(t *testing.T) string
		// upgradeCode and wantDockerfile say what the upgrade makes of it.
		upgradeCode    int
		wantDockerfile func(own string) string
	}{
		{
			name:        "Dockerfile derived from the golden path: the new image and the own port",
			dockerfile:  func(t *testing.T) string { return derivedDockerfile(t, src) },
			upgradeCode: 0,
			wantDockerfile: func(own string) string {
				return strings.Replace(own, distrolessV1, distrolessV2, 1)
			},
		},
		{
			name:        "a Dockerfile of its own: the template's change is offered in conflict markers",
			dockerfile:  func(*testing.T) string { return ownDockerfile },
			upgradeCode: 2,
			wantDockerfile: func(own string) string {
				return "<<<<<<< repository\n" + own + "=======\n"
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			own := tc.dockerfile(t)
			// The golden path's .gitignore, copied by hand long ago.
			gitignore := strings.ReplaceAll(readFile(t, src, "templates/go-service/skeleton/.gitignore"), "{{ .name }}", "payments")
			dir := existingRepo(t, own, map[string]string{".gitignore": gitignore})
			before := map[string]string{}
			for _, p := range []string{"README.md", "Dockerfile", "CODEOWNERS", "main.go"} {
				before[p] = readFile(t, dir, p)
			}

			code, stdout, stderr := execGoldenpath(t, "adopt", "--template", "go-service", "--source", src, "--to", "1.0.0",
				"--set", "description=Takes card payments from the checkout.", "--set", "system=payments", dir)
			if code != 0 {
				t.Fatalf("adopt: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			wantOutput(t, "stdout", stdout, []string{
				"Adopted the go-service golden path (v1.0.0) in acme/payments.",
				"  owner: team-x (CODEOWNERS)\n",
				"  name: payments (repository name)\n",
				"  lifecycle: experimental (default)\n",
				"\nAdded (",
				"  catalog-info.yaml\n", "  .github/workflows/ci.yml\n", "  .goldenpath.yml\n",
				"\nKept as they are, differing from the golden path (4):\n  CODEOWNERS\n  Dockerfile\n  README.md\n  main.go\n",
				"\nAlready identical (1):\n  .gitignore\n",
			})
			for p, data := range before {
				if got := readFile(t, dir, p); got != data {
					t.Errorf("%s changed:\n%s", p, got)
				}
			}
			// Only additions: no file git tracks is modified.
			for _, line := range strings.Split(strings.TrimSpace(gitOut(t, dir, "status", "--porcelain", "--untracked-files=all")), "\n") {
				if !strings.HasPrefix(line, "?? ") {
					t.Errorf("git status: %q is not an added file", line)
				}
			}

			info := readFile(t, dir, "catalog-info.yaml")
			entities, err := catalog.Parse([]byte(info))
			if err != nil || len(entities) != 1 {
				t.Fatalf("catalog-info.yaml: %v\n%s", err, info)
			}
			if e := entities[0]; e.Metadata.Name != "payments" || e.SpecString("owner") != "team-x" ||
				e.Metadata.Annotations[catalog.AnnotationProjectSlug] != "acme/payments" {
				t.Errorf("catalog entity = %+v", e)
			}
			if err := catalogtest.Backstage(t, []byte(info)); err != nil {
				t.Errorf("Backstage rejects the added catalog-info.yaml: %v", err)
			}
			af, err := template.ParseAnswersFile([]byte(readFile(t, dir, ".goldenpath.yml")))
			if err != nil {
				t.Fatal(err)
			}
			if af.Template != "go-service" || af.Version != "1.0.0" || af.Source != "acme/golden-paths" || af.Answers["owner"] != "team-x" || af.Answers["name"] != "payments" {
				t.Errorf(".goldenpath.yml = %+v", af)
			}

			gitIn(t, dir, "add", "-A")
			gitIn(t, dir, "commit", "-q", "-m", "Adopt the go-service golden path")
			code, stdout, stderr = execGoldenpath(t, "upgrade", "--source", src, dir)
			if code != tc.upgradeCode {
				t.Fatalf("upgrade: exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.upgradeCode, stdout, stderr)
			}
			if !strings.Contains(stdout, "from v1.0.0 to v1.1.0") || !strings.Contains(stdout, "- Run on Debian 13.") {
				t.Errorf("upgrade stdout:\n%s", stdout)
			}
			got := readFile(t, dir, "Dockerfile")
			if want := tc.wantDockerfile(own); !strings.HasPrefix(got, want) || tc.upgradeCode == 2 && !strings.Contains(got, distrolessV2) {
				t.Errorf("Dockerfile after the upgrade:\n%s\nwant it to start with:\n%s", got, want)
			}
			if got := readFile(t, dir, "README.md"); got != before["README.md"] {
				t.Errorf("the upgrade changed the kept README.md:\n%s", got)
			}
			if af, err := template.ParseAnswersFile([]byte(readFile(t, dir, ".goldenpath.yml"))); err != nil || af.Version != "1.1.0" {
				t.Errorf(".goldenpath.yml after the upgrade: %+v %v", af, err)
			}
		})
	}
}

func TestAdoptCommand(t *testing.T) {
	src := adoptSource(t)
	goService := filepath.Join(src, "templates", "go-service")
	sets := []string{"--set", "description=Takes card payments from the checkout.", "--set", "system=payments"}
	tests := []struct {
		name       string
		extra      map[string]string // files of the checkout besides README.md, Dockerfile, CODEOWNERS
		dirty      bool
		args       []string // DIR is appended
		wantCode   int
		wantStdout []string
		wantStderr []string
		// wantWritten: the adoption wrote files (else the checkout is untouched).
		wantWritten bool
	}{
		{
			name:     "every answer it could not infer is named with why",
			args:     []string{"adopt", "--template", "go-service", "--source", src},
			wantCode: 1,
			wantStderr: []string{
				"2 answers for payments could not be inferred or are not valid; give them with --set id=value:",
				"  description (Description): could not be inferred: the repository has no description\n",
				"  system (System): could not be inferred: the repository has no catalog-info.yaml\n",
			},
		},
		{
			name:     "an owner nothing names",
			extra:    map[string]string{"CODEOWNERS": "* @someone-else/team @jdoe\n"},
			args:     append([]string{"adopt", "--template", "go-service", "--source", src}, sets...),
			wantCode: 1,
			wantStderr: []string{"1 answer for payments could not be inferred or is not valid; give it with --set id=value:\n" +
				"  owner (Owning team): could not be inferred: the repository has no catalog-info.yaml; CODEOWNERS names no @acme/<team> on its * line; no team has admin or maintain permission"},
		},
		{
			name: "a catalog-info.yaml of its own answers owner, system and lifecycle, and is kept",
			extra: map[string]string{"catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n" +
				"spec:\n  type: service\n  owner: group:default/team-pay\n  system: billing\n  lifecycle: production\n"},
			args:        []string{"adopt", "--template", "go-service", "--source", src, "--set", "description=Takes card payments from the checkout."},
			wantStdout:  []string{"Adopted the go-service golden path (v1.1.0)", "  owner: team-pay (catalog-info.yaml spec.owner)", "  system: billing (catalog-info.yaml spec.system)", "  lifecycle: production (catalog-info.yaml spec.lifecycle)", "  catalog-info.yaml\n"},
			wantWritten: true,
		},
		{
			name:        "dry run writes nothing",
			args:        append([]string{"adopt", "--dry-run", "--template", "go-service", "--source", src}, sets...),
			wantStdout:  []string{"Would adopt the go-service golden path (v1.1.0) in acme/payments.", "  .goldenpath.yml\n"},
			wantWritten: false,
		},
		{
			name:        "a template folder, with --set overriding what is inferred",
			args:        append([]string{"adopt", "--template", goService, "--to", "2.0.0", "--set", "owner=team-y", "--set", "name=payments-api"}, sets...),
			wantStdout:  []string{"Adopted the go-service golden path (v2.0.0) in acme/payments-api.", "  owner: team-y (given)", "  name: payments-api (repository name)"},
			wantWritten: true,
		},
		{
			name:       "a template folder with a version that is not semver",
			args:       append([]string{"adopt", "--template", goService, "--to", "next"}, sets...),
			wantCode:   1,
			wantStderr: []string{`--to: version "next" is not semver`},
		},
		{
			name:       "a dirty work tree is refused",
			dirty:      true,
			args:       append([]string{"adopt", "--template", "go-service", "--source", src}, sets...),
			wantCode:   1,
			wantStderr: []string{"uncommitted changes", "so the adoption is all that changes"},
		},
		{
			name:       "a checkout already on the golden path is upgraded, not adopted",
			extra:      map[string]string{".goldenpath.yml": "template: go-service\nversion: 1.0.0\nsource: acme/golden-paths\nanswers: {name: payments}\n"},
			args:       append([]string{"adopt", "--template", "go-service", "--source", src}, sets...),
			wantCode:   1,
			wantStderr: []string{"cannot adopt go-service: it is already on go-service v1.0.0 (its .goldenpath.yml says so): newer versions reach it as upgrades"},
		},
		{
			name:       "an unknown version",
			args:       append([]string{"adopt", "--template", "go-service", "--source", src, "--to", "9.0.0"}, sets...),
			wantCode:   1,
			wantStderr: []string{"--to: version 9.0.0 of go-service is not tagged"},
		},
		{
			name:       "no template",
			args:       []string{"adopt", "--source", src},
			wantCode:   1,
			wantStderr: []string{"--template is required"},
		},
		{
			name:       "help documents the exit status",
			args:       []string{"adopt", "--help"},
			wantStderr: []string{"Exit status: 0 adopted, 1 nothing written"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := existingRepo(t, ownDockerfile, tc.extra)
			if tc.dirty {
				put(t, dir, "README.md", "uncommitted\n")
			}
			before := gitOut(t, dir, "status", "--porcelain", "--untracked-files=all")
			code, stdout, stderr := execGoldenpath(t, append(tc.args, dir)...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			wantOutput(t, "stdout", stdout, tc.wantStdout)
			wantOutput(t, "stderr", stderr, tc.wantStderr)
			after := gitOut(t, dir, "status", "--porcelain", "--untracked-files=all")
			if written := after != before; written != tc.wantWritten {
				t.Errorf("files written: %v, want %v\ngit status before:\n%s\nafter:\n%s", written, tc.wantWritten, before, after)
			}
			if tc.wantWritten {
				for _, line := range strings.Split(strings.TrimSpace(after), "\n") {
					if !strings.HasPrefix(line, "?? ") {
						t.Errorf("git status: %q is not an added file", line)
					}
				}
			}
		})
	}
}

func TestParseSetName(t *testing.T) {
	// --set name= names the repository; the rest are answers.
	src := adoptSource(t)
	dir := existingRepo(t, ownDockerfile, nil)
	code, stdout, stderr := execGoldenpath(t, "adopt", "--dry-run", "--template", "go-service", "--source", src, "--org", "other-org",
		"--set", "name=ledger", "--set", "owner=team-l", "--set", "description=Keeps the books of the company.", "--set", "system=money", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "  name: ") || strings.HasPrefix(l, "  owner: ") || strings.HasPrefix(l, "Would adopt") {
			got = append(got, l)
		}
	}
	want := []string{"Would adopt the go-service golden path (v1.1.0) in other-org/ledger.", "  name: ledger (repository name)", "  owner: team-l (given)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
