package template

import (
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestParseTag(t *testing.T) {
	tests := []struct {
		tag, name, version string
		ok                 bool
	}{
		{"go-service/v1.2.0", "go-service", "1.2.0", true},
		{"refs/tags/go-service/v1.2.0", "go-service", "1.2.0", true},
		{"go-service/v2.0.0-rc.1", "go-service", "2.0.0-rc.1", true},
		{"go-service/1.2.0", "", "", false},
		{"go-service/v1.2", "", "", false},
		{"v1.2.0", "", "", false},
		{"Go_Service/v1.2.0", "", "", false},
		{"a/b/v1.0.0", "", "", false},
		{"go-service/v01.2.0", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		name, v, ok := ParseTag(tt.tag)
		if ok != tt.ok || name != tt.name || (ok && v.String() != tt.version) {
			t.Errorf("ParseTag(%q) = %q, %v, %v; want %q, %s, %v", tt.tag, name, v, ok, tt.name, tt.version, tt.ok)
		}
	}
	if got := Tag("go-service", semver.MustParse("1.2.0")); got != "go-service/v1.2.0" {
		t.Errorf("Tag = %q", got)
	}
}

func TestLatestVersion(t *testing.T) {
	tags := []string{"go-service/v1.2.0", "go-service/v1.10.0", "go-service/v2.0.0-rc.1", "node-service/v9.0.0",
		"refs/tags/go-service/v1.9.3", "junk", "go-service/vX"}
	tag, v, ok := LatestVersion(tags, "go-service")
	if !ok || tag != "go-service/v1.10.0" || v.String() != "1.10.0" {
		t.Errorf("LatestVersion = %q %v %v; want go-service/v1.10.0 (numeric order, no prerelease)", tag, v, ok)
	}
	if _, _, ok := LatestVersion(tags, "python-service"); ok {
		t.Error("found a version of a template with no tags")
	}
}

const changelog = `# Changelog

All notable changes.

## [2.0.0] - 2026-02-01
### Changed
- Go 1.26.

## v1.2.0
- Dependabot.

` + "```" + `
## 9.9.9 inside a code block is not a heading
` + "```" + `

## 1.1.0 (2025-12-01)
- Healthz.

## Unreleased notes
- not a version

## 1.0.0
- First.
`

func TestChangelogBetween(t *testing.T) {
	tests := []struct {
		name     string
		from, to *semver.Version
		want     string
	}{
		{"one step", semver.MustParse("1.1.0"), semver.MustParse("1.2.0"),
			"## v1.2.0\n- Dependabot.\n\n```\n## 9.9.9 inside a code block is not a heading\n```"},
		{"several, newest first", semver.MustParse("1.0.0"), semver.MustParse("2.0.0"),
			"## [2.0.0] - 2026-02-01\n### Changed\n- Go 1.26.\n\n## v1.2.0\n- Dependabot.\n\n```\n## 9.9.9 inside a code block is not a heading\n```\n\n## 1.1.0 (2025-12-01)\n- Healthz."},
		{"from nothing", nil, semver.MustParse("1.0.0"), "## 1.0.0\n- First."},
		{"nothing new", semver.MustParse("2.0.0"), semver.MustParse("2.0.0"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ChangelogBetween([]byte(changelog), tt.from, tt.to); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestMigrationsBetween(t *testing.T) {
	m := mustManifest(t, minimalManifest+`options:
  migrations:
    - version: 2.0.0
      delete: [b]
    - version: 1.1.0
      rename: [{from: a, to: b}]
`)
	got := m.MigrationsBetween(semver.MustParse("1.0.0"), semver.MustParse("2.0.0"))
	if len(got) != 2 || got[0].Version != "1.1.0" || got[1].Version != "2.0.0" {
		t.Errorf("got %+v, want 1.1.0 then 2.0.0", got)
	}
	if got := m.MigrationsBetween(semver.MustParse("1.1.0"), semver.MustParse("1.5.0")); len(got) != 0 {
		t.Errorf("got %+v, want none (1.1.0 is not crossed)", got)
	}
}
