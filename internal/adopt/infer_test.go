package adopt

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/templates"
)

// goService is the built-in go-service template: owner, description (at
// least 10 characters), system (required, no default), lifecycle (choice,
// default experimental) and dependabot (boolean, default true).
func goService(t testing.TB) *template.Template {
	t.Helper()
	sub, err := fs.Sub(templates.FS(), "templates/go-service")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.Load(sub)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

const fullCatalog = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  owner: group:default/team-pay
  system: system:default/billing
  lifecycle: production
`

func TestInfer(t *testing.T) {
	m := goService(t).Manifest
	tests := []struct {
		name        string
		in          Input
		want        map[string]any    // answers expected (a subset)
		wantSources map[string]string // sources expected (a subset)
		problems    []string          // "param: message", all of them
	}{
		{
			name: "everything from the catalog and the description",
			in:   Input{Name: "payments", Description: "Takes card payments.", Files: map[string][]byte{"catalog-info.yaml": []byte(fullCatalog)}},
			want: map[string]any{"name": "payments", "owner": "team-pay", "system": "billing", "lifecycle": "production",
				"description": "Takes card payments.", "dependabot": true},
			wantSources: map[string]string{"name": "repository name", "owner": "catalog-info.yaml spec.owner", "system": "catalog-info.yaml spec.system",
				"lifecycle": "catalog-info.yaml spec.lifecycle", "description": "the repository's description", "dependabot": "default"},
		},
		{
			name: "owner without kind or namespace; lifecycle absent takes the default",
			in: Input{Name: "payments", Description: "Takes card payments.", Files: map[string][]byte{"catalog-info.yaml": []byte(
				"kind: Component\nmetadata: {name: payments}\nspec: {owner: team-pay, system: billing}\n")}},
			want:        map[string]any{"owner": "team-pay", "system": "billing", "lifecycle": "experimental"},
			wantSources: map[string]string{"lifecycle": "default"},
		},
		{
			name: "a user owning the catalog entry: CODEOWNERS names the team",
			in: Input{Name: "payments", Description: "Takes card payments.", Given: map[string]any{"system": "billing"}, Files: map[string][]byte{
				"catalog-info.yaml": []byte("kind: Component\nmetadata: {name: payments}\nspec: {owner: 'user:default/jdoe'}\n"),
				"CODEOWNERS":        []byte("# owners\n*  @acme/team-x\n")}},
			want:        map[string]any{"owner": "team-x", "system": "billing"},
			wantSources: map[string]string{"owner": "CODEOWNERS"},
		},
		{
			name: "no catalog: .github/CODEOWNERS wins over the root one, as on GitHub; other orgs' teams and users skipped; last * line",
			in: Input{Org: "acme", Name: "payments", Description: "Takes card payments.", Given: map[string]any{"system": "billing"}, Files: map[string][]byte{
				".github/CODEOWNERS": []byte("* @acme/old-team\r\n/docs/ @acme/writers\r\n* @other/t jdoe@example.com @jdoe @ACME/team-y # the owners\r\n"),
				"CODEOWNERS":         []byte("* @acme/root-team\n")}},
			want:        map[string]any{"owner": "team-y"},
			wantSources: map[string]string{"owner": "CODEOWNERS"},
		},
		{
			name:        "the only admin team",
			in:          Input{Org: "acme", Name: "payments", Description: "Takes card payments.", Given: map[string]any{"system": "billing"}, AdminTeams: []string{"platform", "platform"}},
			want:        map[string]any{"owner": "platform"},
			wantSources: map[string]string{"owner": "the only team with admin or maintain permission"},
		},
		{
			name: "multi-document catalog: the Component named like the repository",
			in: Input{Name: "payments", Description: "Takes card payments.", Files: map[string][]byte{"catalog-info.yaml": []byte(
				"kind: System\nmetadata: {name: billing}\nspec: {owner: team-sys}\n---\n" +
					"kind: Component\nmetadata: {name: payments-worker}\nspec: {owner: team-worker, system: billing}\n---\n" +
					"kind: Component\nmetadata: {name: Payments}\nspec: {owner: team-pay, system: billing, lifecycle: deprecated}\n---\n")}},
			want: map[string]any{"owner": "team-pay", "lifecycle": "deprecated"},
		},
		{
			name: "given answers win over the repository",
			in: Input{Name: "payments", Description: "Takes card payments.", Files: map[string][]byte{"catalog-info.yaml": []byte(fullCatalog)},
				Given: map[string]any{"owner": "team-z", "lifecycle": "deprecated", "dependabot": "no", "description": "  "}},
			want:        map[string]any{"owner": "team-z", "lifecycle": "deprecated", "dependabot": false, "description": "Takes card payments."},
			wantSources: map[string]string{"description": "the repository's description"},
		},
		{
			name: "nothing says who owns it, nor what it is",
			in: Input{Org: "acme", Name: "payments", AdminTeams: []string{"b-team", "a-team"}, Files: map[string][]byte{
				"docs/CODEOWNERS": []byte("* @other/team @jdoe\n")}},
			problems: []string{
				"owner: could not be inferred: the repository has no catalog-info.yaml; docs/CODEOWNERS names no @acme/<team> on its * line; 2 teams have admin or maintain permission (a-team, b-team)",
				"description: could not be inferred: the repository has no description",
				"system: could not be inferred: the repository has no catalog-info.yaml",
			},
		},
		{
			name: "unreadable catalog, CODEOWNERS without a * line, no team",
			in: Input{Org: "acme", Name: "payments", Description: "Takes card payments.", Files: map[string][]byte{
				"catalog-info.yaml": []byte("kind: [unclosed\n"), "CODEOWNERS": []byte("/src/ @acme/team-src\n")}},
			problems: []string{
				"owner: could not be inferred: catalog-info.yaml could not be read (parsing catalog-info.yaml: yaml: line 1: did not find expected ',' or ']'); CODEOWNERS has no * line; no team has admin or maintain permission",
				"system: could not be inferred: catalog-info.yaml could not be read (parsing catalog-info.yaml: yaml: line 1: did not find expected ',' or ']')",
			},
		},
		{
			name: "inferred answers are validated like typed ones",
			in: Input{Name: "Payments_API", Description: "short", Files: map[string][]byte{"catalog-info.yaml": []byte(
				"kind: Component\nmetadata: {name: x}\nspec: {owner: 'group:Team X', system: billing, lifecycle: prod}\n")}},
			problems: []string{
				`name: from repository name: "Payments_API" must be lowercase letters and digits in words joined by single hyphens, like payments-api (it names the repository, the catalog entry and the image)`,
				`owner: from catalog-info.yaml spec.owner: "Team X" must be a GitHub team slug, like team-payments (lowercase, without @ or the organization)`,
				"description: from the repository's description: must be at least 10 characters long",
				`lifecycle: from catalog-info.yaml spec.lifecycle: "prod" is not one of the options: experimental, production, deprecated`,
			},
		},
		{
			name: "a catalog without a Component; a name given that is not the repository's; an unknown answer",
			in: Input{Name: "payments", Description: "Takes card payments.", Given: map[string]any{"name": "other", "owner": "team-pay", "colour": "red"},
				Files: map[string][]byte{"catalog-info.yaml": []byte("kind: API\nmetadata: {name: payments}\nspec: {system: billing}\n")}},
			problems: []string{
				"name: is the repository's name (payments) and cannot be given",
				"system: could not be inferred: catalog-info.yaml has no Component entity",
				"colour: is not a parameter of template go-service",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Manifest = m
			if tt.in.Org == "" {
				tt.in.Org = "acme"
			}
			res := Infer(tt.in)
			var got []string
			for _, p := range res.Problems {
				got = append(got, p.Param+": "+p.Message)
			}
			if !reflect.DeepEqual(got, tt.problems) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.problems, "\n"))
			}
			if tt.problems != nil {
				if res.Answers != nil {
					t.Errorf("answers %v returned with problems", res.Answers)
				}
				return
			}
			for k, v := range tt.want {
				if !reflect.DeepEqual(res.Answers[k], v) {
					t.Errorf("%s = %#v, want %#v", k, res.Answers[k], v)
				}
			}
			for k, v := range tt.wantSources {
				if res.Sources[k] != v {
					t.Errorf("source of %s = %q, want %q", k, res.Sources[k], v)
				}
			}
			if len(res.Answers) != len(m.Parameters) {
				t.Errorf("%d answers for %d parameters", len(res.Answers), len(m.Parameters))
			}
		})
	}
}

// TestInferRequiredWithoutInference: a required parameter goldenpath has no
// source for is reported as such, and a given answer satisfies it.
func TestInferRequiredWithoutInference(t *testing.T) {
	m, err := template.ParseManifest([]byte("name: svc\ntitle: Service\nparameters:\n" +
		"  - {id: name, title: Name, type: string, required: true, example: a}\n" +
		"  - {id: owner, title: Owner, type: string, required: true, example: b}\n" +
		"  - {id: tier, title: Tier, type: choice, options: [gold, silver], required: true, example: gold}\n"))
	if err != nil {
		t.Fatal(err)
	}
	res := Infer(Input{Manifest: m, Org: "acme", Name: "svc-a", AdminTeams: []string{"t"}})
	if len(res.Problems) != 1 || res.Problems[0].String() != "Tier: could not be inferred: goldenpath infers only owner, description, system and lifecycle: give it" {
		t.Fatalf("problems = %v", res.Problems)
	}
	res = Infer(Input{Manifest: m, Org: "acme", Name: "svc-a", AdminTeams: []string{"t"}, Given: map[string]any{"tier": "silver"}})
	if res.Problems != nil || res.Answers["tier"] != "silver" || res.Answers["owner"] != "t" {
		t.Fatalf("got %+v", res)
	}
}

func TestInputPaths(t *testing.T) {
	tests := []struct {
		has  []string
		want []string
	}{
		{nil, nil},
		{[]string{"README.md", "CODEOWNERS", "docs/CODEOWNERS"}, []string{"CODEOWNERS"}},
		{[]string{"docs/CODEOWNERS", ".github/CODEOWNERS", "catalog-info.yaml"}, []string{"catalog-info.yaml", ".github/CODEOWNERS"}},
		{[]string{"docs/CODEOWNERS"}, []string{"docs/CODEOWNERS"}},
	}
	for _, tt := range tests {
		set := map[string]bool{}
		for _, p := range tt.has {
			set[p] = true
		}
		if got := InputPaths(func(p string) bool { return set[p] }); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("InputPaths(%v) = %v, want %v", tt.has, got, tt.want)
		}
	}
}

// FuzzInfer: whatever the repository holds, Infer never panics, and it
// returns either answers that validate or problems that each name a
// parameter — never both, never neither.
func FuzzInfer(f *testing.F) {
	m := goService(f).Manifest
	f.Add("payments", "Takes card payments.", fullCatalog, "* @acme/team-x\n", "team-a")
	f.Add("x", "", "kind: Component\n---\n- a\n---\nspec: 3\n", "*\n* @acme/\n", "")
	f.Add("", "d", "kind: Component\nmetadata: {name: ''}\nspec: {owner: 'group:', system: ':/', lifecycle: [a]}\n", "# *\n", "t,t")
	f.Fuzz(func(t *testing.T, name, description, catalogInfo, codeOwners, teams string) {
		res := Infer(Input{Manifest: m, Org: "acme", Name: name, Description: description,
			Files:      map[string][]byte{"catalog-info.yaml": []byte(catalogInfo), "CODEOWNERS": []byte(codeOwners)},
			AdminTeams: strings.Split(teams, ",")})
		switch {
		case res.Answers == nil && len(res.Problems) == 0:
			t.Fatal("neither answers nor problems")
		case res.Answers != nil && len(res.Problems) > 0:
			t.Fatal("answers and problems")
		case res.Answers != nil:
			if _, err := m.Validate(map[string]any(res.Answers)); err != nil {
				t.Fatalf("the answers do not validate: %v", err)
			}
		}
		for _, p := range res.Problems {
			if _, ok := m.Param(p.Param); !ok || p.Message == "" {
				t.Errorf("problem %+v names no parameter of the template", p)
			}
		}
	})
}
