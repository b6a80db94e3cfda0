package request

import (
	"regexp"
	"strings"
	"testing"
)

// TestEscapeBreaksAutolinks: quoted answers carry no text GitHub would turn
// into a link or a reference, and read the same once the zero-width spaces
// are dropped.
func TestEscapeBreaksAutolinks(t *testing.T) {
	tests := []struct{ in, want string }{
		{"see https://evil.example/login", "see https" + zwsp + "://evil.example/login"},
		{"HTTP://EVIL.EXAMPLE", "HTTP" + zwsp + "://EVIL.EXAMPLE"},
		{"www.evil.example", "www" + zwsp + ".evil.example"},
		{"ftp://x and mailto:a", "ftp" + zwsp + "://x and mailto" + zwsp + ":a"},
		{"fixes #123", "fixes #" + zwsp + "123"},
		{"acme/payments#1", "acme/payments#" + zwsp + "1"},
		{"GH-42 and gh-7", "GH-" + zwsp + "42 and gh-" + zwsp + "7"},
		{"user@1a2b3c4", "user@" + zwsp + "1a2b3c" + zwsp + "4"},
		{"deadbeefcafe0123456789abcdef0123456789ab", "deadbe" + zwsp + "efcafe" + zwsp + "012345" + zwsp + "6789ab" + zwsp + "cdef01" + zwsp + "234567" + zwsp + "89ab"},
		{"a@b.example", "a@" + zwsp + "b.example"},
		{"payments-api #no-number 123456 facade", "payments-api #no-number 123456 facade"},
		{"[x](https://evil) <https://evil>", `\[x\](https` + zwsp + `://evil) &lt;https` + zwsp + `://evil&gt;`},
	}
	// What GitHub would link: a scheme or www., a #/GH- number, a hex run of 7+.
	linkable := regexp.MustCompile(`(?i)(https?|ftp|mailto|xmpp):|www\.|#\d|\bgh-\d|\b[0-9a-f]{7,40}\b`)
	for _, tt := range tests {
		got := mdEscape(tt.in)
		if got != tt.want {
			t.Errorf("mdEscape(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if m := linkable.FindString(got); m != "" {
			t.Errorf("mdEscape(%q) = %q still holds %q", tt.in, got, m)
		}
		if plain := strings.ReplaceAll(got, zwsp, ""); !strings.Contains(tt.in, "[") && !strings.Contains(tt.in, "<") && plain != tt.in {
			t.Errorf("mdEscape(%q) reads %q once zero-width spaces are dropped", tt.in, plain)
		}
	}
}
