package app_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// What GitHub requires of an App for each REST operation the bot may call,
// from GitHub's "Permissions required for GitHub Apps" reference. JWT-only
// operations need none. A new operation in the code fails
// TestMain until it is listed here, so app.yml cannot silently fall behind.
var operationPermissions = map[string][]string{
	"apps/get-authenticated":                      nil,
	"apps/create-installation-access-token":       nil,
	"apps/list-installations":                     nil,
	"git/list-matching-refs":                      {"contents:read"},
	"git/get-ref":                                 {"contents:read"},
	"git/create-blob":                             {"contents:write"},
	"git/create-tree":                             {"contents:write"},
	"git/create-commit":                           {"contents:write"},
	"git/create-ref":                              {"contents:write"},
	"git/update-ref":                              {"contents:write"},
	"git/delete-ref":                              {"contents:write"},
	"git/get-tree":                                {"contents:read"},
	"git/get-commit":                              {"contents:read"},
	"git/get-blob":                                {"contents:read"},
	"repos/get-content":                           {"contents:read"},
	"repos/download-tarball-archive":              {"contents:read"},
	"repos/list-commits":                          {"contents:read"},
	"repos/get-commit":                            {"contents:read"},
	"repos/compare-commits-with-basehead":         {"contents:read"},
	"repos/list-comments-for-commit":              {"contents:read"},
	"repos/create-commit-comment":                 {"contents:write"},
	"repos/get":                                   {"metadata:read"},
	"repos/list-tags":                             {"metadata:read"},
	"apps/list-repos-accessible-to-installation":  {"metadata:read"},
	"repos/create-in-org":                         {"administration:write"},
	"repos/replace-all-topics":                    {"administration:write"},
	"repos/list-teams":                            {"administration:read"},
	"teams/add-or-update-repo-permissions-in-org": {"administration:write", "members:read"},
	"teams/get-by-name":                           {"members:read"},
	"teams/get-membership-for-user-in-org":        {"members:read"},
	"orgs/check-membership-for-user":              {"members:read"},
	"issues/get":                                  {"issues:read"},
	"issues/list-for-repo":                        {"issues:read"},
	"issues/list-comments":                        {"issues:read"},
	"issues/list-labels-for-repo":                 {"issues:read"},
	"issues/create":                               {"issues:write"},
	"issues/update":                               {"issues:write"},
	"issues/create-comment":                       {"issues:write"},
	"issues/update-comment":                       {"issues:write"},
	"issues/add-labels":                           {"issues:write"},
	"issues/remove-label":                         {"issues:write"},
	"issues/create-label":                         {"issues:write"},
	"pulls/list":                                  {"pull_requests:read"},
	"pulls/get":                                   {"pull_requests:read"},
	"pulls/create":                                {"pull_requests:write"},
	"pulls/update":                                {"pull_requests:write"},
}

// Every event the App routes, and why GitHub sends it (installation events
// are always delivered and not part of the manifest).
var alwaysDelivered = map[string]bool{"installation": true, "installation_repositories": true}

var (
	seenMu         sync.Mutex
	seenOperations = map[string]int{}
	wroteWorkflows bool
	routed         = map[string]bool{}
)

// recordCoverage adds one world's operations to the suite's tally.
func recordCoverage(ops []string, events []string) {
	seenMu.Lock()
	defer seenMu.Unlock()
	for _, op := range ops {
		seenOperations[op]++
	}
	for _, e := range events {
		routed[e] = true
	}
}

func recordWorkflowWrite() {
	seenMu.Lock()
	defer seenMu.Unlock()
	wroteWorkflows = true
}

// TestMain runs the suite, then — when the whole suite ran and passed —
// compares app.yml with what the bot really did: the permissions of every
// operation it called, and the events it routes.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		if err := checkManifest(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: app.yml:", err)
			code = 1
		}
	}
	os.Exit(code)
}

type manifest struct {
	DefaultEvents      []string          `yaml:"default_events"`
	DefaultPermissions map[string]string `yaml:"default_permissions"`
}

func readManifest() (manifest, error) {
	var m manifest
	data, err := os.ReadFile(filepath.Join("..", "..", "app.yml"))
	if err != nil {
		return m, err
	}
	return m, yaml.Unmarshal(data, &m)
}

func checkManifest() error {
	m, err := readManifest()
	if err != nil {
		return fmt.Errorf("reading app.yml: %w", err)
	}
	need := map[string]string{"metadata": "read"}
	grant := func(perm string) {
		name, level, _ := strings.Cut(perm, ":")
		if need[name] != "write" {
			need[name] = level
		}
	}
	var unknown []string
	for op := range seenOperations {
		perms, ok := operationPermissions[op]
		if !ok {
			unknown = append(unknown, op)
			continue
		}
		for _, p := range perms {
			grant(p)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("the bot called operations whose App permissions are not listed in manifest_test.go: %v", unknown)
	}
	if wroteWorkflows {
		grant("workflows:write")
	}
	var diffs []string
	for name, level := range need {
		if m.DefaultPermissions[name] != level {
			diffs = append(diffs, fmt.Sprintf("%s: the calls need %q, app.yml asks %q", name, level, m.DefaultPermissions[name]))
		}
	}
	for name, level := range m.DefaultPermissions {
		if _, ok := need[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: app.yml asks %q, no call needs it (least privilege)", name, level))
		}
	}
	want := map[string]bool{}
	for _, e := range m.DefaultEvents {
		want[e] = true
		if !routed[e] {
			diffs = append(diffs, fmt.Sprintf("event %s is subscribed but never routed", e))
		}
	}
	for e := range routed {
		if !want[e] && !alwaysDelivered[e] {
			diffs = append(diffs, fmt.Sprintf("event %s is routed but app.yml does not subscribe to it", e))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("does not match the bot's calls and routes:\n  %s", strings.Join(diffs, "\n  "))
	}
	ops := make([]string, 0, len(seenOperations))
	for op := range seenOperations {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	fmt.Printf("app.yml matches the %d operations the end-to-end suite called: %s\n", len(ops), strings.Join(ops, ", "))
	return nil
}
