package template

import (
	"bufio"
	"bytes"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// DevVersion is what local renders record when no --version is given.
const DevVersion = "0.0.0-dev"

// Tag returns the git tag that publishes version v of template name.
func Tag(name string, v *semver.Version) string { return name + "/v" + v.String() }

// ParseTag splits a tag `<name>/v<semver>` (SPEC §3). A leading
// "refs/tags/" (as in push events) is accepted. The version must be strict
// semver after the "v" (no "v1.2", no "1.2.0").
func ParseTag(tag string) (name string, v *semver.Version, ok bool) {
	tag = strings.TrimPrefix(tag, "refs/tags/")
	i := strings.LastIndex(tag, "/v")
	if i <= 0 {
		return "", nil, false
	}
	name = tag[:i]
	if !nameRE.MatchString(name) {
		return "", nil, false
	}
	v, err := semver.StrictNewVersion(tag[i+2:])
	if err != nil {
		return "", nil, false
	}
	return name, v, true
}

// LatestVersion returns the highest released (non-prerelease) version of
// template name among tags.
func LatestVersion(tags []string, name string) (tag string, v *semver.Version, ok bool) {
	for _, t := range tags {
		n, tv, good := ParseTag(t)
		if !good || n != name || tv.Prerelease() != "" {
			continue
		}
		if v == nil || tv.GreaterThan(v) {
			tag, v = strings.TrimPrefix(t, "refs/tags/"), tv
		}
	}
	return tag, v, v != nil
}

// ChangelogBetween returns the CHANGELOG.md sections for the versions an
// upgrade from → to brings (from < v <= to), newest first. Section headings
// are `## 1.2.0`, `## v1.2.0` or `## [1.2.0]`, with anything after the
// version (a date) allowed. A nil from means every version up to to.
func ChangelogBetween(changelog []byte, from, to *semver.Version) string {
	type section struct {
		v    *semver.Version
		text string
	}
	var sections []section
	var cur *section
	var body strings.Builder
	flush := func() {
		if cur != nil {
			cur.text = strings.TrimSpace(body.String())
			sections = append(sections, *cur)
		}
		cur = nil
		body.Reset()
	}
	inFence := false
	sc := bufio.NewScanner(bytes.NewReader(changelog))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			inFence = !inFence
		}
		if !inFence && (strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "## ")) {
			flush()
			if strings.HasPrefix(line, "## ") {
				if v := headingVersion(line[3:]); v != nil {
					cur = &section{v: v}
				}
			}
		}
		if cur != nil {
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	flush()
	var picked []section
	for _, s := range sections {
		if (from == nil || s.v.GreaterThan(from)) && (to == nil || !s.v.GreaterThan(to)) {
			picked = append(picked, s)
		}
	}
	sort.SliceStable(picked, func(i, j int) bool { return picked[i].v.GreaterThan(picked[j].v) })
	texts := make([]string, len(picked))
	for i, s := range picked {
		texts[i] = s.text
	}
	return strings.Join(texts, "\n\n")
}

func headingVersion(h string) *semver.Version {
	f := strings.Fields(h)
	if len(f) == 0 {
		return nil
	}
	s := f[0]
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return nil
		}
		s = s[1:end]
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return nil
	}
	return v
}
