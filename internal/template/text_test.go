package template

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestValidateRefusesHostileText: every character class that text.go
// refuses gets one problem naming the parameter and the character; ordinary
// text of every script is kept, trimmed.
func TestValidateRefusesHostileText(t *testing.T) {
	m := mustManifest(t, answersManifest)
	base := func(desc, system string) map[string]any {
		return map[string]any{"name": "payments", "owner": "team-pay", "lifecycle": "production", "description": desc, "system": system}
	}
	refused := []struct {
		name, desc, system string
		param, want        string
	}{
		{"NUL", "Takes\x00payments", "", "description", "contains a control character (U+0000) at character 6; remove it"},
		{"escape sequence", "Takes \x1b[31mred\x1b[0m payments", "", "description", "contains a control character (U+001B) at character 7; remove it"},
		{"DEL", "Takes payments\x7f", "", "description", "contains a control character (U+007F) at character 15; remove it"},
		{"C1 control", "Takes \u009bpayments", "", "description", "contains a control character (U+009B) at character 7; remove it"},
		{"NEL then a document start", "Takes payments\u0085--- !!python/object", "", "description", "contains a control character (U+0085) at character 15; remove it"},
		{"lone CR", "Takes\rpayments", "", "description", "contains a control character (U+000D) at character 6; remove it"},
		{"U+FFFE", "Takes payments \ufffe", "", "description", "contains a non-character (U+FFFE) at character 16; remove it"},
		{"U+FFFF", "Takes \uffff payments", "", "description", "contains a non-character (U+FFFF) at character 7; remove it"},
		{"plane 1 non-character", "Takes payments \U0001FFFF!", "", "description", "contains a non-character (U+1FFFF) at character 16; remove it"},
		{"U+FDD0", "Takes \ufdd0 payments", "", "description", "contains a non-character (U+FDD0) at character 7; remove it"},
		{"line separator", "Takes\u2028payments", "", "description", "contains a line or paragraph separator (U+2028) at character 6; remove it"},
		{"right-to-left override", "Takes \u202epayments", "", "description", "contains a bidirectional override character (U+202E) at character 7; remove it"},
		{"isolate", "Takes \u2066payments", "", "description", "contains a bidirectional override character (U+2066) at character 7; remove it"},
		{"byte order mark", "Takes \ufeffpayments", "", "description", "contains a byte order mark (U+FEFF) at character 7; remove it"},
		{"invalid UTF-8", "Takes \xff payments", "", "description", "is not valid UTF-8 text"},
		{"lone surrogate (CESU-8)", "Takes \xed\xa0\x80 payments", "", "description", "is not valid UTF-8 text"},
		{"tab in a one-line string", "Takes payments.", "core\tx", "system", "contains a tab (U+0009) at character 5; remove it"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			system := tt.system
			if system == "" {
				system = "core"
			}
			_, err := m.Validate(base(tt.desc, system))
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate(%q) = %v, want a ValidationError", tt.desc, err)
			}
			want := []Problem{{tt.param, titleOf(m, tt.param), tt.want}}
			if tt.param == "system" {
				// system's pattern is not checked once the text is refused.
				want = []Problem{{"system", "System", tt.want}}
			}
			if !reflect.DeepEqual(verr.Problems, want) {
				t.Errorf("problems %v, want %v", verr.Problems, want)
			}
		})
	}

	accepted := []struct{ name, desc, want string }{
		{"tab-led multi-line text is trimmed", "\tTakes card payments\nfrom the checkout.\t\n", "Takes card payments\nfrom the checkout."},
		{"tabs inside text stay", "Takes\tcard payments\n\tfrom the checkout.", "Takes\tcard payments\n\tfrom the checkout."},
		{"CRLF becomes LF", "  Takes payments\r\nfrom the checkout.  \r\n", "Takes payments\nfrom the checkout."},
		{"NBSP and NEL around are white space", "\u00a0Takes payments\u0085", "Takes payments"},
		{"right-to-left text with its marks", "מקבל תשלומים\u200f from the checkout", "מקבל תשלומים\u200f from the checkout"},
		{"zero-width joiner in an emoji", "Takes payments 👩\u200d💻", "Takes payments 👩\u200d💻"},
		{"look-alike letters", "Таkes payments (Cyrillic Т and а)", "Таkes payments (Cyrillic Т and а)"},
		{"YAML and template syntax are text", "a: b\n- c\n&x *x !!python/object {{ .Env }} ${{ github.token }}", "a: b\n- c\n&x *x !!python/object {{ .Env }} ${{ github.token }}"},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Validate(base(tt.desc, "core"))
			if err != nil {
				t.Fatalf("Validate(%q): %v", tt.desc, err)
			}
			if got["description"] != tt.want {
				t.Errorf("description = %q, want %q", got["description"], tt.want)
			}
		})
	}
}

func titleOf(m *Manifest, id string) string {
	p, _ := m.Param(id)
	return p.Title
}

// TestAnswersFileReadsBack: answers the validator accepts, and answers
// written before it trimmed them, always read back from .goldenpath.yml.
func TestAnswersFileReadsBack(t *testing.T) {
	for _, desc := range []string{
		"\tTakes card payments\nfrom the checkout.", // issue 13: a tab-led block scalar yaml.v3 refused
		"Takes card payments\n\tfrom the checkout.",
		" leading space\nand more",
		"trailing space \nand more ",
		"# not a comment\n---\n...\n- x: &a *a !!binary",
		"\u00a0nbsp\u2028separator\u0085nel",
		"quote \" and backslash \\ and '",
	} {
		a := AnswersFile{Template: "go-service", Version: "1.0.0", Answers: Answers{"description": desc}}
		back, err := ParseAnswersFile(a.Marshal())
		if err != nil {
			t.Errorf("answers file of %q does not read back: %v\n%s", desc, err, a.Marshal())
			continue
		}
		if back.Answers["description"] != desc {
			t.Errorf("description %q read back as %q", desc, back.Answers["description"])
		}
	}
}

func TestCheckOrg(t *testing.T) {
	for _, org := range []string{"acme", "Acme-Corp", "a", "a1-b2-c3", strings.Repeat("a", 39)} {
		if err := CheckOrg(org); err != nil {
			t.Errorf("CheckOrg(%q): %v", org, err)
		}
	}
	for _, org := range []string{"", "acme\n* @evil/admins\nx", "-acme", "acme-", "ac--me", "acme/x", "@acme", "ac me", "acme_x", strings.Repeat("a", 40), "ácme"} {
		if err := CheckOrg(org); err == nil || !strings.Contains(err.Error(), "is not a GitHub login") {
			t.Errorf("CheckOrg(%q) = %v, want a refusal", org, err)
		}
	}
}
