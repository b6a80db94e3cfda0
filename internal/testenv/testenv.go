// Package testenv finds the project's test-time tools (the module root, the
// npm packages under testdata/npm, binaries on PATH) and decides what a test
// does when one is missing: outside CI it skips with a reason, under CI=true
// it fails, so CI can never go green by skipping.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// ModuleRoot returns the directory holding the project's go.mod.
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = os.ErrNotExist
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		tb.Fatalf("finding the module root: %v", rootErr)
	}
	return rootDir
}

// InCI reports whether the tests run under CI (CI=true), where a missing tool
// is a failure rather than a skip.
func InCI() bool { return os.Getenv("CI") != "" && os.Getenv("CI") != "false" }

// Missing skips the test outside CI and fails it under CI.
func Missing(tb testing.TB, what string) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("%s is missing; .ci/run must install it", what)
	}
	tb.Skipf("%s is missing (run .ci/run or install it to run this test)", what)
}

// NodeModule returns the path of an npm package installed under
// testdata/npm/node_modules (by `npm ci --prefix testdata/npm`).
func NodeModule(tb testing.TB, pkg string) string {
	tb.Helper()
	dir := filepath.Join(ModuleRoot(tb), "testdata", "npm", "node_modules", filepath.FromSlash(pkg))
	if _, err := os.Stat(dir); err != nil {
		Missing(tb, "npm package "+pkg)
	}
	return dir
}

// Tool returns the path of an executable on PATH.
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, "the "+name+" command")
	}
	return p
}

// PostgresURL returns the URL of the PostgreSQL server tests may use
// (GOLDENPATH_TEST_POSTGRES_URL, which .ci/run sets).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("GOLDENPATH_TEST_POSTGRES_URL")
	if u == "" {
		Missing(tb, "a PostgreSQL server (GOLDENPATH_TEST_POSTGRES_URL)")
	}
	return u
}
