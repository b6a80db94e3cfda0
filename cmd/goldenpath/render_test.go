package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// execGoldenpath runs the CLI in-process and returns its exit status and output.
func execGoldenpath(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRender(t *testing.T) {
	goService := filepath.Join(testenv.ModuleRoot(t), "templates", "go-service")
	values := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(values, []byte("name: ledger\nowner: team-money\ndescription: Keeps the books.\nsystem: payments\ndependabot: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nonEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(nonEmpty, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		args       []string // {{out}} is replaced with a fresh folder
		wantCode   int
		wantStderr []string
		wantFiles  []string
		noFiles    []string
		wantAnswer map[string]any
	}{
		{
			name:       "values file and --set",
			args:       []string{"render", "--template", goService, "--out", "{{out}}", "--values", values, "--set", "lifecycle=production", "--org", "acme", "--version", "1.2.0"},
			wantFiles:  []string{"main.go", "go.mod", ".goldenpath.yml", ".github/workflows/ci.yml", "catalog-info.yaml"},
			noFiles:    []string{".github/dependabot.yml", "main.go.tmpl"},
			wantAnswer: map[string]any{"name": "ledger", "lifecycle": "production", "dependabot": false},
		},
		{
			name:      "built-in template by name with its examples",
			args:      []string{"render", "--template", "node-service", "--out", "{{out}}", "--examples"},
			wantFiles: []string{"src/server.js", "package.json", ".github/dependabot.yml"},
		},
		{
			name:       "one line per invalid answer",
			args:       []string{"render", "--template", goService, "--out", "{{out}}", "--set", "name=Bad Name", "--set", "lifecycle=retired"},
			wantCode:   1,
			wantStderr: []string{"\n  Service name: ", "\n  Owning team: is required", "\n  Lifecycle: ", "have 5 problems"},
		},
		{
			name:       "non-empty out",
			args:       []string{"render", "--template", goService, "--out", nonEmpty, "--examples"},
			wantCode:   1,
			wantStderr: []string{"is not empty"},
		},
		{
			name:      "non-empty out with --force",
			args:      []string{"render", "--template", goService, "--out", nonEmpty, "--examples", "--force"},
			wantFiles: []string{"keep.txt", "main.go"},
		},
		{
			name:       "missing --out",
			args:       []string{"render", "--template", goService},
			wantCode:   2,
			wantStderr: []string{"--template and --out are required"},
		},
		{
			name:       "no such template",
			args:       []string{"render", "--template", "nope", "--out", "{{out}}"},
			wantCode:   1,
			wantStderr: []string{"no template folder nope"},
		},
		{
			name:       "bad version",
			args:       []string{"render", "--template", goService, "--out", "{{out}}", "--examples", "--version", "one"},
			wantCode:   1,
			wantStderr: []string{"not a semantic version"},
		},
		{
			name:       "bad --set",
			args:       []string{"render", "--template", goService, "--out", "{{out}}", "--set", "novalue"},
			wantCode:   1, // the dispatcher's status for flag errors
			wantStderr: []string{"want id=value"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "{{out}}", out)
				if a == nonEmpty {
					out = nonEmpty
				}
			}
			code, _, stderr := execGoldenpath(t, args...)
			if code != tt.wantCode {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, f := range tt.wantFiles {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("%s not written: %v", f, err)
				}
			}
			for _, f := range tt.noFiles {
				if _, err := os.Stat(filepath.Join(out, f)); err == nil {
					t.Errorf("%s written, want it absent", f)
				}
			}
			if tt.wantAnswer != nil {
				data, err := os.ReadFile(filepath.Join(out, ".goldenpath.yml"))
				if err != nil {
					t.Fatal(err)
				}
				var af struct {
					Template, Version, Source string
					Answers                   map[string]any
				}
				if err := yaml.Unmarshal(data, &af); err != nil {
					t.Fatal(err)
				}
				if af.Template != "go-service" || af.Version != "1.2.0" || af.Source != "acme/golden-paths" {
					t.Errorf(".goldenpath.yml = %+v", af)
				}
				for k, v := range tt.wantAnswer {
					if af.Answers[k] != v {
						t.Errorf("answer %s = %v, want %v", k, af.Answers[k], v)
					}
				}
			}
		})
	}
}

func TestRenderDefaultVersion(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := execGoldenpath(t, "render", "--template", "go-service", "--out", out, "--examples"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, ".goldenpath.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("version: 0.0.0-dev\n")) {
		t.Fatalf(".goldenpath.yml does not record 0.0.0-dev:\n%s", data)
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"render", "lint", "forms"} {
		code, _, stderr := execGoldenpath(t, cmd, "--help")
		if code != 0 || !strings.Contains(stderr, "Usage: goldenpath "+cmd) {
			t.Errorf("%s --help: exit %d, stderr:\n%s", cmd, code, stderr)
		}
	}
}

// TestRenderForceDoesNotFollowLinksOut: --force into a folder whose docs/ is
// a link to elsewhere fails instead of writing through the link.
func TestRenderForceDoesNotFollowLinksOut(t *testing.T) {
	out, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(out, "docs")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := execGoldenpath(t, "render", "--template", "go-service", "--out", out, "--examples", "--force")
	if code == 0 || !strings.Contains(stderr, "docs") {
		t.Fatalf("exit %d, stderr %q: want a refusal naming docs", code, stderr)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("wrote %d entries through the link into %s", len(entries), outside)
	}
}

// TestRenderHostileInput: issue 13's cases for `goldenpath render`.
func TestRenderHostileInput(t *testing.T) {
	goService := filepath.Join(testenv.ModuleRoot(t), "templates", "go-service")
	answers := []string{"--set", "name=payments-api", "--set", "owner=team-payments", "--set", "system=payments"}

	t.Run("an org that would add a CODEOWNERS line is refused", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := execGoldenpath(t, append([]string{"render", "--template", goService, "--out", out, "--org", "acme\n* @evil/admins\nx",
			"--set", "description=Takes card payments."}, answers...)...)
		if code == 0 || !strings.Contains(stderr, `goldenpath render: --org: organization "acme\n* @evil/admins\nx" is not a GitHub login`) {
			t.Fatalf("exit %d, stderr %q: want a refusal of --org", code, stderr)
		}
		if strings.Count(stderr, "\n") != 1 {
			t.Errorf("stderr is not one line: %q", stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s written despite the refusal", out)
		}
	})

	t.Run("a tab-led multi-line description reads back from .goldenpath.yml", func(t *testing.T) {
		a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
		code, _, stderr := execGoldenpath(t, append([]string{"render", "--template", goService, "--out", a, "--org", "acme",
			"--set", "description=\tTakes card payments\nfrom the checkout."}, answers...)...)
		if code != 0 {
			t.Fatalf("first render: exit %d: %s", code, stderr)
		}
		code, _, stderr = execGoldenpath(t, "render", "--template", goService, "--out", b, "--org", "acme", "--values", filepath.Join(a, ".goldenpath.yml"))
		if code != 0 {
			t.Fatalf("render --values .goldenpath.yml: exit %d: %s", code, stderr)
		}
		for _, f := range []string{".goldenpath.yml", "catalog-info.yaml", "README.md"} {
			da, _ := os.ReadFile(filepath.Join(a, f))
			db, _ := os.ReadFile(filepath.Join(b, f))
			if !bytes.Equal(da, db) || len(da) == 0 {
				t.Errorf("%s differs between the render and the re-render from its answers:\n%s\n---\n%s", f, da, db)
			}
		}
		catalog, _ := os.ReadFile(filepath.Join(a, "catalog-info.yaml"))
		if !bytes.Contains(catalog, []byte(`description: "Takes card payments\nfrom the checkout."`)) {
			t.Errorf("description not trimmed in catalog-info.yaml:\n%s", catalog)
		}
	})

	t.Run("lint names a template that loops", func(t *testing.T) {
		code, _, stderr := execGoldenpath(t, "lint", "--render-timeout", "100ms", filepath.Dir(loopingTemplate(t)))
		if code != 1 || !strings.Contains(stderr, "rendering with the examples: skeleton/loop.txt: rendering took too long: stopped after 100ms") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})

	t.Run("a template that loops is stopped by --render-timeout", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := execGoldenpath(t, "render", "--template", loopingTemplate(t), "--out", out, "--examples", "--render-timeout", "100ms")
		if code != 1 || !strings.Contains(stderr, "goldenpath render: skeleton/loop.txt: rendering took too long: stopped after 100ms") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

// loopingTemplate writes a template whose one file loops for ever.
func loopingTemplate(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "loop")
	manifest := "name: loop\ntitle: Loop\ndescription: Loops.\nparameters:\n" +
		"  - {id: name, title: Name, type: string, required: true, example: svc}\n" +
		"  - {id: owner, title: Owner, type: string, required: true, example: team}\n"
	if err := os.MkdirAll(filepath.Join(dir, "skeleton"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "skeleton", "loop.txt"), []byte("{{ range 1000000000000000 }}{{ end }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRenderStopsOnSignal runs the real binary on a template that would
// loop for hours and signals it once it is busy rendering: it must exit at
// once with a clear sentence, not run on until its render deadline.
func TestRenderStopsOnSignal(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to see that the process is rendering")
	}
	tmpl := loopingTemplate(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "render", "--template", tmpl, "--out", filepath.Join(t.TempDir(), "out"), "--examples", "--render-timeout", "10h")
			cmd.Env = append(os.Environ(), childEnv+"=1")
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			t.Cleanup(func() {
				select {
				case <-done:
				default:
					_ = cmd.Process.Kill()
					<-done
				}
			})
			// Busy rendering: a quarter of a second of CPU spent, which the
			// start-up alone never takes.
			deadline := time.Now().Add(60 * time.Second)
			for cpuTicks(t, cmd.Process.Pid) < 25 {
				if time.Now().After(deadline) {
					t.Fatalf("the render never got busy; stderr: %s", stderr.String())
				}
				select {
				case <-done:
					t.Fatalf("exited before the signal: %s", stderr.String())
				case <-time.After(20 * time.Millisecond):
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				t.Fatalf("still rendering 60 s after %s", sig)
			}
			if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "rendering stopped: context canceled") {
				t.Fatalf("exit %d (-1: killed by the signal, not handled), stderr %q", code, stderr.String())
			}
		})
	}
}

// cpuTicks is the user and system CPU time of a process, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0 // exited; the caller sees it
	}
	// Fields after the command name in parentheses, which may hold spaces.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return utime + stime
}
