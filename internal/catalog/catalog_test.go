package catalog_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
	"github.com/goldenpath-dev/goldenpath/internal/catalog/catalogtest"
)

const valid = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  description: "Takes payments."
  annotations:
    github.com/project-slug: acme/payments-api
    backstage.io/techdocs-ref: dir:.
  tags: [go]
  links:
    - url: https://github.com/acme/payments-api
      title: Repository
spec:
  type: service
  lifecycle: experimental
  owner: team-payments
  system: payments
`

// cases are shared by the Go validator test and the cross-check against
// Backstage's own validator: both must agree on every one.
var cases = []struct {
	name string
	yaml string
	// wantLine and wantField locate the first problem Go reports ("" = valid).
	wantField string
	wantLine  int
}{
	{name: "valid", yaml: valid},
	{name: "valid with user owner and namespace", yaml: strings.Replace(strings.Replace(valid, "owner: team-payments", "owner: user:default/jane.doe", 1), "  name: payments-api\n", "  name: payments-api\n  namespace: acme\n", 1)},
	{name: "two documents", yaml: valid + "---\n" + strings.Replace(valid, "payments-api", "payments-worker", -1)},
	{name: "name with bang", yaml: strings.Replace(valid, "name: payments-api", "name: payments!", 1), wantField: "metadata.name", wantLine: 4},
	{name: "name too long", yaml: strings.Replace(valid, "name: payments-api", "name: "+strings.Repeat("a", 64), 1), wantField: "metadata.name", wantLine: 4},
	{name: "name ends with hyphen", yaml: strings.Replace(valid, "name: payments-api", "name: payments-", 1), wantField: "metadata.name", wantLine: 4},
	{name: "missing owner", yaml: strings.Replace(valid, "  owner: team-payments\n", "", 1), wantField: "spec.owner", wantLine: 14},
	{name: "lifecycle not a string", yaml: strings.Replace(valid, "lifecycle: experimental", "lifecycle: 3", 1), wantField: "spec.lifecycle", wantLine: 15},
	{name: "foreign root field", yaml: valid + "extra: true\n", wantField: "extra", wantLine: 18},
	{name: "bad annotation key", yaml: strings.Replace(valid, "github.com/project-slug", "github.com/project/slug", 1), wantField: "metadata.annotations.github.com/project/slug", wantLine: 7},
	{name: "annotation value not a string", yaml: strings.Replace(valid, "dir:.", "42", 1), wantField: "metadata.annotations.backstage.io/techdocs-ref", wantLine: 8},
	{name: "bad namespace", yaml: strings.Replace(valid, "  name: payments-api\n", "  name: payments-api\n  namespace: Acme_Corp\n", 1), wantField: "metadata.namespace", wantLine: 5},
	{name: "bad tag", yaml: strings.Replace(valid, "tags: [go]", "tags: [Go Lang]", 1), wantField: "metadata.tags.0", wantLine: 9},
	{name: "relative link", yaml: strings.Replace(valid, "url: https://github.com/acme/payments-api", "url: /payments-api", 1), wantField: "metadata.links.0.url", wantLine: 11},
	{name: "component with wrong apiVersion", yaml: strings.Replace(valid, "backstage.io/v1alpha1", "backstage.io/v2", 1), wantField: "apiVersion", wantLine: 1},
	{name: "bad kind", yaml: strings.Replace(valid, "kind: Component", "kind: 9Component", 1), wantField: "kind", wantLine: 2},
	{name: "no metadata", yaml: "apiVersion: backstage.io/v1alpha1\nkind: Component\nspec: {type: service, lifecycle: x, owner: y}\n", wantField: "metadata", wantLine: 1},
}

func TestValidate(t *testing.T) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			err := catalog.Validate([]byte(tt.yaml))
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want valid", err)
				}
				return
			}
			var ve *catalog.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			p := ve.Problems[0]
			if p.Field != tt.wantField || p.Line != tt.wantLine {
				t.Fatalf("first problem = %q (field %q, line %d), want field %q at line %d", p, p.Field, p.Line, tt.wantField, tt.wantLine)
			}
		})
	}
}

// TestAgreesWithBackstage feeds every case to Backstage's own validator: what
// Go accepts Backstage accepts, and what Go rejects Backstage rejects.
func TestAgreesWithBackstage(t *testing.T) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			err := catalogtest.Backstage(t, []byte(tt.yaml))
			if tt.wantField == "" && err != nil {
				t.Fatalf("Backstage rejects what Go accepts: %v", err)
			}
			if tt.wantField != "" && err == nil {
				t.Fatalf("Backstage accepts what Go rejects (%s)", tt.wantField)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	bad := strings.NewReplacer("name: payments-api", "name: -x-", "owner: team-payments", "owner: \"\"", "tags: [go]", "tags: [GO]").Replace(valid)
	err := catalog.Validate([]byte(bad))
	var ve *catalog.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	got := map[string]bool{}
	for _, p := range ve.Problems {
		got[p.Field] = true
	}
	for _, f := range []string{"metadata.name", "spec.owner", "metadata.tags.0"} {
		if !got[f] {
			t.Errorf("no problem reported for %s; got %v", f, ve.Problems)
		}
	}
}

func TestValidateRejectsNonEntities(t *testing.T) {
	for name, in := range map[string]string{
		"empty":    "",
		"only ---": "---\n---\n",
		"bad yaml": "metadata: [\n",
		"a list":   "- a\n- b\n",
		"a scalar": "hello\n",
	} {
		t.Run(name, func(t *testing.T) {
			if err := catalog.Validate([]byte(in)); err == nil {
				t.Fatal("Validate accepted it")
			}
		})
	}
}

func TestParse(t *testing.T) {
	ents, err := catalog.Parse([]byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	e := ents[0]
	if e.Metadata.Name != "payments-api" || e.SpecString("owner") != "team-payments" ||
		e.Metadata.Annotations[catalog.AnnotationProjectSlug] != "acme/payments-api" {
		t.Fatalf("Parse = %+v", e)
	}
}

func TestParseEntityRef(t *testing.T) {
	tests := []struct {
		ref, want string
		wantErr   bool
	}{
		{ref: "team-a", want: "group:default/team-a"},
		{ref: "user:jane.doe", want: "user:default/jane.doe"},
		{ref: "group:acme/team-a", want: "group:acme/team-a"},
		{ref: "acme/team-a", want: "group:acme/team-a"},
		{ref: "group:Acme/team-a", wantErr: true},
		{ref: "group:team a", wantErr: true},
		{ref: "9x:team-a", wantErr: true},
	}
	for _, tt := range tests {
		r, err := catalog.ParseEntityRef(tt.ref, "Group", catalog.DefaultNamespace)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseEntityRef(%q) = %v, want an error", tt.ref, r)
			}
			continue
		}
		if err != nil || r.String() != tt.want {
			t.Errorf("ParseEntityRef(%q) = %v, %v; want %s", tt.ref, r, err, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		f    func(string) bool
		in   string
		want bool
	}{
		{catalog.IsValidEntityName, "a", true},
		{catalog.IsValidEntityName, "A_b.c-D", true},
		{catalog.IsValidEntityName, strings.Repeat("a", 63), true},
		{catalog.IsValidEntityName, strings.Repeat("a", 64), false},
		{catalog.IsValidEntityName, "", false},
		{catalog.IsValidEntityName, "_a", false},
		{catalog.IsValidNamespace, "team-a", true},
		{catalog.IsValidNamespace, "Team", false},
		{catalog.IsValidAnnotationKey, "backstage.io/techdocs-ref", true},
		{catalog.IsValidAnnotationKey, "plain", true},
		{catalog.IsValidAnnotationKey, "a/b/c", false},
		{catalog.IsValidAnnotationKey, "Example.com/x", false},
		{catalog.IsValidAPIVersion, "backstage.io/v1alpha1", true},
		{catalog.IsValidAPIVersion, "backstage.io/v1-alpha", false},
		{catalog.IsValidTag, "c++", true},
		{catalog.IsValidTag, "java-script", true},
		{catalog.IsValidTag, "a--b", false},
		{catalog.IsValidLabelValue, "", true},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("check(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
