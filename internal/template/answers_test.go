package template

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const answersManifest = minimalManifest + `  - id: description
    title: Description
    type: text
    minLength: 5
    example: Takes payments.
  - id: system
    title: System
    type: string
    default: core
    pattern: '[a-z]+'
    maxLength: 10
    example: payments
  - id: lifecycle
    title: Lifecycle
    type: choice
    required: true
    options: [experimental, production]
    example: production
  - id: langs
    title: Languages
    type: multichoice
    options: [go, node, python]
    example: [go]
  - id: docker
    title: Container image
    type: boolean
    default: true
    example: true
  - id: metrics
    title: Metrics
    type: boolean
    example: false
`

func TestValidateNormalises(t *testing.T) {
	m := mustManifest(t, answersManifest)
	tests := []struct {
		name string
		raw  map[string]any
		want Answers
	}{
		{
			name: "strings from an issue body or --set are coerced",
			raw: map[string]any{"name": " payments ", "owner": "team-pay", "description": "Line one\r\nLine two\n\n",
				"lifecycle": "production", "langs": "python, go,, go", "docker": "no", "metrics": "Yes"},
			want: Answers{"name": "payments", "owner": "team-pay", "description": "Line one\nLine two", "system": "core",
				"lifecycle": "production", "langs": []string{"go", "python"}, "docker": false, "metrics": true},
		},
		{
			name: "typed values from a values file; absent optionals get zero values",
			raw:  map[string]any{"name": "a1", "owner": "team_x", "lifecycle": "experimental", "langs": []any{"node"}, "metrics": true},
			want: Answers{"name": "a1", "owner": "team_x", "description": "", "system": "core", "lifecycle": "experimental",
				"langs": []string{"node"}, "docker": true, "metrics": true},
		},
		{
			name: "empty strings count as absent",
			raw:  map[string]any{"name": "a", "owner": "t", "lifecycle": "production", "system": "  ", "langs": ""},
			want: Answers{"name": "a", "owner": "t", "description": "", "system": "core", "lifecycle": "production",
				"langs": []string{}, "docker": true, "metrics": false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Validate(tt.raw)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	m := mustManifest(t, answersManifest)
	tests := []struct {
		name string
		raw  map[string]any
		want []Problem
	}{
		{
			name: "everything wrong at once, one message per problem, in form order",
			raw: map[string]any{"name": "Payments_API", "owner": "@acme/team-pay", "description": "hi", "system": "UPPER",
				"lifecycle": "retired", "langs": "go, rust", "docker": "maybe", "colour": "blue"},
			want: []Problem{
				{"name", "Service name", `"Payments_API" must be lowercase letters and digits in words joined by single hyphens, like payments-api (it names the repository, the catalog entry and the image)`},
				{"owner", "Owning team", `"@acme/team-pay" must be a GitHub team slug, like team-payments (lowercase, without @ or the organization)`},
				{"description", "Description", "must be at least 5 characters long"},
				{"system", "System", "must match the pattern [a-z]+"},
				{"lifecycle", "Lifecycle", `"retired" is not one of the options: experimental, production`},
				{"langs", "Languages", `"rust" is not one of the options: go, node, python`},
				{"docker", "Container image", `must be true or false, not "maybe"`},
				{"colour", "colour", "is not a parameter of template svc"},
			},
		},
		{
			name: "required answers missing",
			raw:  map[string]any{"name": "", "description": "_"},
			want: []Problem{
				{"name", "Service name", "is required"},
				{"owner", "Owning team", "is required"},
				{"description", "Description", "must be at least 5 characters long"},
				{"lifecycle", "Lifecycle", "is required"},
			},
		},
		{
			name: "name too long for a DNS label, and two lines in a string",
			raw:  map[string]any{"name": strings.Repeat("a", 64), "owner": "t", "lifecycle": "production", "system": "a\nb"},
			want: []Problem{
				{"name", "Service name", "must be at most 63 characters long (it is also a DNS name)"},
				{"system", "System", "must be a single line"},
			},
		},
		{
			name: "hostile answers: long values are quoted in part, unknown options listed up to five",
			raw: map[string]any{"name": strings.Repeat("X", 5000), "owner": "team", "lifecycle": strings.Repeat("é", 70),
				"langs": strings.Repeat("cobol, ", 1000)},
			want: []Problem{
				{"name", "Service name", `"` + strings.Repeat("X", 60) + `"… must be lowercase letters and digits in words joined by single hyphens, like payments-api (it names the repository, the catalog entry and the image)`},
				{"name", "Service name", "must be at most 63 characters long (it is also a DNS name)"},
				{"lifecycle", "Lifecycle", `"` + strings.Repeat("é", 60) + `"… is not one of the options: experimental, production`},
				{"langs", "Languages", `"cobol" is not one of the options: go, node, python`},
				{"langs", "Languages", `"cobol" is not one of the options: go, node, python`},
				{"langs", "Languages", `"cobol" is not one of the options: go, node, python`},
				{"langs", "Languages", `"cobol" is not one of the options: go, node, python`},
				{"langs", "Languages", `"cobol" is not one of the options: go, node, python`},
				{"langs", "Languages", "995 more answers are not options either"},
			},
		},
		{
			name: "wrong shapes",
			raw:  map[string]any{"name": []string{"a"}, "owner": map[string]any{}, "lifecycle": "production", "langs": 3, "metrics": 2},
			want: []Problem{
				{"name", "Service name", "must be text, not a list or mapping"},
				{"owner", "Owning team", "must be text, not a list or mapping"},
				{"langs", "Languages", "must be a list of options"},
				{"metrics", "Metrics", `must be true or false, not "2"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Validate(tt.raw)
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate error = %v, want *ValidationError", err)
			}
			if !reflect.DeepEqual(verr.Problems, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", (&ValidationError{verr.Problems}).Error(), (&ValidationError{tt.want}).Error())
			}
			if lines := strings.Count(err.Error(), "\n") + 1; lines != len(tt.want) {
				t.Errorf("Error() has %d lines, want one per problem (%d):\n%s", lines, len(tt.want), err)
			}
		})
	}
}

func TestExampleAnswersValidate(t *testing.T) {
	m := mustManifest(t, answersManifest)
	ex := m.ExampleAnswers()
	got, err := m.Validate(ex)
	if err != nil {
		t.Fatalf("the examples do not validate: %v", err)
	}
	if !reflect.DeepEqual(got, ex) {
		t.Errorf("Validate(examples) = %#v, want %#v", got, ex)
	}
}

// FuzzValidate: the validator never panics, and what it accepts is normalised:
// validating the result again gives the same answers.
func FuzzValidate(f *testing.F) {
	m, err := ParseManifest([]byte(answersManifest))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("payments", "team-pay", "A description", "core", "production", "go, node", "yes")
	f.Add("", "", "", "", "", "", "")
	f.Add("Ä", "@x", "\r\n", "a\nb", "None", ",,,", "[x]")
	f.Fuzz(func(t *testing.T, name, owner, desc, system, lifecycle, langs, docker string) {
		raw := map[string]any{"name": name, "owner": owner, "description": desc, "system": system,
			"lifecycle": lifecycle, "langs": langs, "docker": docker}
		got, err := m.Validate(raw)
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) == 0 {
				t.Fatalf("error %v is not a ValidationError with problems", err)
			}
			return
		}
		if n := got["name"].(string); !nameRE.MatchString(n) || len(n) > MaxNameLength {
			t.Fatalf("accepted name %q", n)
		}
		if len(got) != len(m.Parameters) {
			t.Fatalf("answers %v do not cover every parameter", got)
		}
		again, err := m.Validate(got)
		if err != nil {
			t.Fatalf("re-validating accepted answers %#v: %v", got, err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("not idempotent: %#v then %#v", got, again)
		}
	})
}
