package request

import (
	"regexp"
	"strings"
)

// GitHub turns more than Markdown into links: bare URLs (http://, https://,
// www.), issue and pull request references (#1, GH-1, owner/repo#1) and
// commit SHAs (7 to 40 hex digits; owner/repo@sha and user@sha are broken
// already by mdEscape's zero-width space after @). Markdown's backslash
// escapes do not stop them: GitHub finds references in the rendered text.
// A zero-width space inside each breaks the pattern without changing what
// people read, so a quoted answer cannot put a link in the bot's voice.
const zwsp = "\u200b"

var (
	schemeRE = regexp.MustCompile(`(?i)\b(https?|ftp|mailto|xmpp|www)([:.])`)
	issueRE  = regexp.MustCompile(`(?i)(#|\bgh-)(\d)`)
	shaRE    = regexp.MustCompile(`\b[0-9a-fA-F]{7,40}\b`)
)

// breakAutolinks puts a zero-width space into every bare URL, reference
// and SHA-like word of s.
func breakAutolinks(s string) string {
	s = schemeRE.ReplaceAllString(s, "${1}"+zwsp+"${2}")
	s = issueRE.ReplaceAllString(s, "${1}"+zwsp+"${2}")
	return shaRE.ReplaceAllStringFunc(s, func(w string) string {
		// Runs of at most six hex digits: shorter than any SHA GitHub links.
		var b strings.Builder
		for i := 0; i < len(w); i += 6 {
			if i > 0 {
				b.WriteString(zwsp)
			}
			b.WriteString(w[i:min(i+6, len(w))])
		}
		return b.String()
	})
}
