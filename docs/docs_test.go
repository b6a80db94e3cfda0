// Package docs_test runs the shell examples of the documentation. A block
// fenced as ```sh test in README.md or docs/*.md is run by bash (-euo
// pipefail) in an empty temporary folder, with the goldenpath binary built
// from this tree first on PATH and nothing else of this machine's state
// (HOME is the temporary folder, no DATABASE_URL): what the docs show, a
// reader can paste. A block fails the test by exiting non-zero, so its
// checks are plain shell (grep -q, test -f).
package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// block is one ```sh test block.
type block struct {
	file string
	line int // of the opening fence
	code string
}

// testBlocks extracts the ```sh test blocks of a Markdown file.
func testBlocks(file string, data []byte) ([]block, error) {
	var out []block
	var cur *block
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && isTestFence(trimmed):
			cur = &block{file: file, line: n}
			b.Reset()
		case cur != nil && strings.HasPrefix(trimmed, "```"):
			cur.code = b.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			b.WriteString(line + "\n")
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: the sh test block is not closed", file, cur.line)
	}
	return out, sc.Err()
}

// isTestFence reports whether a fence line opens a ```sh test block.
func isTestFence(fence string) bool {
	if !strings.HasPrefix(fence, "```") {
		return false
	}
	f := strings.Fields(strings.TrimPrefix(fence, "```"))
	return len(f) >= 2 && f[0] == "sh" && f[1] == "test"
}

// docsWithBlocks are the documents that must carry runnable examples.
var docsWithBlocks = []string{"README.md", "docs/templates.md", "docs/operations.md"}

func TestShellExamples(t *testing.T) {
	root := testenv.ModuleRoot(t)
	bash := testenv.Tool(t, "bash")
	git := testenv.Tool(t, "git")

	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var blocks []block
	perFile := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		bs, err := testBlocks(filepath.ToSlash(rel), data)
		if err != nil {
			t.Fatal(err)
		}
		perFile[filepath.ToSlash(rel)] += len(bs)
		blocks = append(blocks, bs...)
	}
	for _, d := range docsWithBlocks {
		if perFile[d] == 0 {
			t.Errorf("%s has no ```sh test block", d)
		}
	}

	bin := buildGoldenpath(t)
	path := strings.Join([]string{bin, filepath.Dir(git), filepath.Dir(bash), "/usr/bin", "/bin"}, string(os.PathListSeparator))
	for _, b := range blocks {
		t.Run(fmt.Sprintf("%s:%d", b.file, b.line), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bash, "-euo", "pipefail", "-c", b.code)
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + path, "HOME=" + dir, "LANG=C.UTF-8",
				"GIT_AUTHOR_NAME=docs", "GIT_AUTHOR_EMAIL=docs@example.com", "GIT_COMMITTER_NAME=docs", "GIT_COMMITTER_EMAIL=docs@example.com"}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s:%d: %v\n--- block\n%s--- output\n%s", b.file, b.line, err, b.code, out)
			}
		})
	}
}

// buildGoldenpath builds the binary from this tree into a temporary folder
// and returns the folder.
func buildGoldenpath(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command(testenv.Tool(t, "go"), "build", "-o", filepath.Join(bin, "goldenpath"), "./cmd/goldenpath")
	build.Dir = testenv.ModuleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building goldenpath: %v\n%s", err, out)
	}
	return bin
}

// TestReadmeQuotesTheDemo runs `goldenpath demo` and checks that every line
// the README quotes from it (its ```text blocks) is still what it prints.
func TestReadmeQuotesTheDemo(t *testing.T) {
	root := testenv.ModuleRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	quoted := fencedLines(readme, "text")
	if len(quoted) == 0 {
		t.Fatal("README.md quotes no demo output (no ```text block)")
	}
	bin := buildGoldenpath(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "goldenpath"), "demo")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"HOME=" + cmd.Dir, "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("goldenpath demo: %v\n%s", err, out)
	}
	for _, l := range quoted {
		if !strings.Contains(string(out), l) {
			t.Errorf("README.md quotes %q, which goldenpath demo no longer prints", l)
		}
	}
	if t.Failed() {
		t.Logf("goldenpath demo:\n%s", out)
	}
}

// fencedLines returns the non-empty lines of every ```<lang> block, trimmed.
func fencedLines(doc []byte, lang string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case !in && t == "```"+lang:
			in = true
		case in && strings.HasPrefix(t, "```"):
			in = false
		case in && t != "":
			out = append(out, t)
		}
	}
	return out
}

func TestTestBlocks(t *testing.T) {
	doc := "# x\n\n```sh\nnot run\n```\n\n```sh test\necho one\n```\n\n```sh test\necho two\nexit 3\n```\n"
	got, err := testBlocks("x.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].line != 7 || got[0].code != "echo one\n" || got[1].code != "echo two\nexit 3\n" {
		t.Errorf("testBlocks = %+v", got)
	}
	if _, err := testBlocks("y.md", []byte("```sh test\necho\n")); err == nil {
		t.Error("an unclosed block was accepted")
	}
}
