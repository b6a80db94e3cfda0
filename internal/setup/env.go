package setup

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The .env keys setup writes (Probot's names).
const (
	KeyAppID        = "APP_ID"
	KeyPrivateKey   = "PRIVATE_KEY"
	KeyPrivateKeyAt = "PRIVATE_KEY_PATH"
	KeyWebhook      = "WEBHOOK_SECRET"
	KeyClientID     = "GITHUB_CLIENT_ID"
	KeyClientSecret = "GITHUB_CLIENT_SECRET"
	KeyAPIURL       = "GITHUB_API_URL"
)

// Owned are the keys that name an App: setup refuses to replace any of
// them without --force.
var Owned = []string{KeyAppID, KeyPrivateKey, KeyPrivateKeyAt, KeyWebhook, KeyClientID, KeyClientSecret}

// Conflicts lists the Owned keys existing (a parsed .env) already sets.
func Conflicts(existing map[string]string) []string {
	var out []string
	for _, k := range Owned {
		if strings.TrimSpace(existing[k]) != "" {
			out = append(out, k)
		}
	}
	return out
}

var envAssign = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$`)

// envEntry is one assignment (key set) or other text (comments, blanks)
// of a .env file, with its original lines.
type envEntry struct {
	key   string
	lines []string
}

// parseEnvLines splits a .env file into entries, keeping a quoted value
// that spans lines (a PEM key) in one entry.
func parseEnvLines(data string) []envEntry {
	lines := strings.SplitAfter(data, "\n")
	var out []envEntry
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		m := envAssign.FindStringSubmatch(strings.TrimRight(lines[i], "\r\n"))
		if m == nil {
			out = append(out, envEntry{lines: []string{lines[i]}})
			continue
		}
		e := envEntry{key: m[1], lines: []string{lines[i]}}
		if q := m[2]; len(q) > 0 && (q[0] == '"' || q[0] == '\'') && !closes(q[1:], q[0]) {
			for i+1 < len(lines) {
				i++
				e.lines = append(e.lines, lines[i])
				if closes(strings.TrimRight(lines[i], "\r\n"), q[0]) {
					break
				}
			}
		}
		out = append(out, e)
	}
	return out
}

// closes reports whether s holds an unescaped quote character q.
func closes(s string, q byte) bool {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && q == '"':
			i++
		case s[i] == q:
			return true
		}
	}
	return false
}

// UpdateEnv returns the .env file old with every key of set assigned its
// value (in place of its first assignment, or appended in sorted order),
// later assignments of those keys and every assignment of drop removed,
// and everything else (comments, other variables) kept as it was.
func UpdateEnv(old []byte, set map[string]string, drop []string) []byte {
	var b strings.Builder
	done := map[string]bool{}
	for _, e := range parseEnvLines(string(old)) {
		v, replace := set[e.key]
		switch {
		case e.key == "":
			b.WriteString(strings.Join(e.lines, ""))
		case slices.Contains(drop, e.key), replace && done[e.key]:
		case replace:
			b.WriteString(e.key + "=" + quoteEnv(v) + "\n")
			done[e.key] = true
		default:
			b.WriteString(strings.Join(e.lines, ""))
		}
	}
	if s := b.String(); s != "" && !strings.HasSuffix(s, "\n") {
		b.WriteString("\n")
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		if !done[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k + "=" + quoteEnv(set[k]) + "\n")
	}
	return []byte(b.String())
}

// quoteEnv double-quotes a value unless it is made of characters no .env
// reader treats specially.
func quoteEnv(v string) string {
	if v != "" && strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/:+@,", r))
	}) < 0 {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "$", `\$`)
	return `"` + r.Replace(v) + `"`
}
