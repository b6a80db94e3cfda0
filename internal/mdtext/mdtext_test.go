package mdtext

import "testing"

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"team-payments", `team-payments`},
		{"@acme/admins", "@\u200bacme/admins"},
		{"[click](https://evil.example)", `\[click\](https://evil.example)`},
		{"<!-- goldenpath:meta -->", "&lt;!-- goldenpath:meta --&gt;"},
		{"a|b\nc", `a\|b c`},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Code("a`b|c\nd"); got != "`a'b\\|c d`" {
		t.Errorf("Code = %q", got)
	}
	if got := Cut("ééé", 2); got != "éé…" {
		t.Errorf("Cut = %q", got)
	}
}
