package localadopt

import (
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/template"
)

func TestParseRemote(t *testing.T) {
	tests := []struct{ remote, org, name string }{
		{"https://github.com/acme/payments.git", "acme", "payments"},
		{"https://github.example.com/acme/payments", "acme", "payments"},
		{"https://token@github.com/acme/payments/", "acme", "payments"},
		{"git@github.com:acme/payments.git", "acme", "payments"},
		{"ssh://git@github.com:22/acme/payments.git", "acme", "payments"},
		{"/srv/git/payments.git", "", ""},
		{"../payments", "", ""},
		{"https://github.com/payments", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		org, name := parseRemote(tt.remote)
		if org != tt.org || name != tt.name {
			t.Errorf("parseRemote(%q) = %q, %q; want %q, %q", tt.remote, org, name, tt.org, tt.name)
		}
	}
}

func TestInferenceErrorNamesEveryAnswer(t *testing.T) {
	err := &InferenceError{Name: "payments", Problems: []template.Problem{
		{Param: "owner", Title: "Owning team", Message: "could not be inferred: the repository has no CODEOWNERS"},
		{Param: "system", Title: "System", Message: "could not be inferred: the repository has no catalog-info.yaml"},
	}}
	want := "2 answers for payments could not be inferred or are not valid; give them with --set id=value:\n" +
		"  owner (Owning team): could not be inferred: the repository has no CODEOWNERS\n" +
		"  system (System): could not be inferred: the repository has no catalog-info.yaml"
	if got := err.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if strings.Count(err.Error(), "\n") != 2 {
		t.Error("one line per answer expected")
	}
}
