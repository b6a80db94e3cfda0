package issueform

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/template"
	"gopkg.in/yaml.v3"
)

// adoptForm is the adoption form of the test manifest, as YAML.
func adoptForm(t *testing.T, m *template.Manifest) []byte {
	t.Helper()
	f, err := AdoptFromManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	data, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestAdoptFormGolden(t *testing.T) {
	m := loadManifest(t)
	golden(t, "adopt-go-service.golden.yml", adoptForm(t, m))
	if got := AdoptFormPath(m.Name); got != ".github/ISSUE_TEMPLATE/adopt-go-service.yml" {
		t.Errorf("AdoptFormPath = %q", got)
	}
}

// TestAdoptFormFollowsSpec checks SPEC §6 on the generated YAML: the labels,
// the Repositories textarea first, then every parameter but name, none
// required, none pre-filled.
func TestAdoptFormFollowsSpec(t *testing.T) {
	m := loadManifest(t)
	data := adoptForm(t, m)
	var doc struct {
		Name, Description string
		Labels            []string
		Body              []struct {
			Type        string
			ID          string
			Attributes  map[string]any
			Validations map[string]any
		}
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if want := []string{"goldenpath", "goldenpath:adopt", "template:go-service"}; !reflect.DeepEqual(doc.Labels, want) {
		t.Errorf("labels = %v, want %v", doc.Labels, want)
	}
	if doc.Name == "" || doc.Description == "" || doc.Name == FromManifest(m).Name {
		t.Errorf("name %q / description %q: both required, and the name must differ from the request form's", doc.Name, doc.Description)
	}
	first := doc.Body[0]
	if first.Type != "textarea" || first.Attributes["label"] != "Repositories" || first.Validations["required"] != true || first.Attributes["placeholder"] == "" {
		t.Errorf("first element = %+v, want the required Repositories textarea with a placeholder", first)
	}
	var ids []string
	for _, e := range doc.Body[1:] {
		ids = append(ids, e.ID)
		if e.Validations["required"] == true {
			t.Errorf("%s is required; every parameter is optional on the adoption form", e.ID)
		}
		for _, k := range []string{"value", "default"} {
			if _, ok := e.Attributes[k]; ok {
				t.Errorf("%s pre-fills %s: it would override what each repository says", e.ID, k)
			}
		}
		if e.Type == "checkboxes" {
			t.Errorf("%s is a checkbox: an unticked box cannot mean \"not answered\"", e.ID)
		}
	}
	if want := []string{"owner", "description", "system", "lifecycle", "extras", "docker", "notes"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("element ids = %v, want %v", ids, want)
	}
}

func TestAdoptFormRefusesCollidingParameter(t *testing.T) {
	for _, p := range []string{
		"  - {id: repositories, title: Repos, type: string, example: x}\n",
		"  - {id: repos, title: '  repositories ', type: string, example: x}\n",
	} {
		m, err := template.ParseManifest([]byte("name: svc\ntitle: Service\nparameters:\n" +
			"  - {id: name, title: Name, type: string, required: true, example: a}\n" +
			"  - {id: owner, title: Owner, type: string, required: true, example: b}\n" + p))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := AdoptFromManifest(m); err == nil || !strings.Contains(err.Error(), `collides with the adoption form's "Repositories" field`) {
			t.Errorf("%s: err = %v", strings.TrimSpace(p), err)
		}
	}
}

func TestTemplateOfFormPath(t *testing.T) {
	tests := []struct {
		path, want string
		ok         bool
	}{
		{FormPath("go-service"), "go-service", true},
		{AdoptFormPath("go-service"), "go-service", true},
		{".github/ISSUE_TEMPLATE/bug.yml", "", false},
		{".github/ISSUE_TEMPLATE/new-.yml", "", false},
		{".github/ISSUE_TEMPLATE/new-x.yaml", "", false},
		{".github/ISSUE_TEMPLATE/sub/new-x.yml", "", false},
		{"new-x.yml", "", false},
	}
	for _, tt := range tests {
		got, ok := TemplateOfFormPath(tt.path)
		if got != tt.want || ok != tt.ok {
			t.Errorf("TemplateOfFormPath(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseRepositories(t *testing.T) {
	tests := []struct {
		name, text string
		want       RepositoryList
	}{
		{"names with and without the org, duplicates by case", "payments\nacme/ledger\nACME/Payments\n\nledger\n",
			RepositoryList{Names: []string{"payments", "ledger"}}},
		{"topics lower-cased and deduplicated", "topic:payments\nTopic: Payments\ntopic:ml-2",
			RepositoryList{Topics: []string{"payments", "ml-2"}}},
		{"URLs, SSH remotes, bullets, backticks and commas", "- https://github.com/acme/billing/tree/main\n* `search`\n+ git@github.com:acme/infra.git, api.v2",
			RepositoryList{Names: []string{"billing", "search", "infra", "api.v2"}}},
		{"CRLF and lone CR", "a\r\nb\rc", RepositoryList{Names: []string{"a", "b", "c"}}},
		{"HTML comment lines are skipped", "<!-- one per line -->\na", RepositoryList{Names: []string{"a"}}},
		{"no response", NoResponse, RepositoryList{Problems: []string{"no repository is listed: write one name per line, or topic:<topic>"}}},
		{"empty", " \n\n", RepositoryList{Problems: []string{"no repository is listed: write one name per line, or topic:<topic>"}}},
		{"bad entries named, good ones kept", "ok\nother/x\nnot a repo\ntopic:Bad_Topic\na/b/c\n..\n" + strings.Repeat("x", 101), RepositoryList{
			Names: []string{"ok"},
			Problems: []string{
				`"other/x" is in the account other, not acme: only acme's repositories can be adopted here`,
				`"not a repo" is not a repository name: names are letters, digits, '.', '-' and '_', at most 100 characters`,
				`"topic:Bad_Topic" is not a topic: topics are lower-case letters, digits and hyphens, at most 50 characters`,
				`"a/b/c" is not a repository: write name or acme/name`,
				`".." is not a repository name: names are letters, digits, '.', '-' and '_', at most 100 characters`,
				`"` + strings.Repeat("x", 60) + `"… is not a repository name: names are letters, digits, '.', '-' and '_', at most 100 characters`,
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseRepositories(tt.text, "acme")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseRepositoriesBoundsProblems(t *testing.T) {
	got := ParseRepositories(strings.Repeat("bad name\n", 500), "acme")
	if len(got.Problems) != maxListProblems+1 || got.Problems[maxListProblems] != "and 480 more entries" {
		t.Errorf("%d problems, last %q", len(got.Problems), got.Problems[len(got.Problems)-1])
	}
}

// adoptionResult is what a golden adoption body turns into.
type adoptionResult struct {
	LooksLikeAdoption bool           `json:"looksLikeAdoption"`
	LooksLikeRequest  bool           `json:"looksLikeRequest"`
	ParseError        string         `json:"parseError,omitempty"`
	Repositories      RepositoryList `json:"repositories"`
	Answers           map[string]any `json:"answers,omitempty"`
}

func TestParseAdoptionGolden(t *testing.T) {
	m := loadManifest(t)
	files, err := filepath.Glob(filepath.Join("testdata", "adoption", "*.md"))
	if err != nil || len(files) < 4 {
		t.Fatalf("adoption bodies: %v %v", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".md")
		t.Run(name, func(t *testing.T) {
			body := string(mustRead(t, f))
			res := adoptionResult{LooksLikeAdoption: LooksLikeAdoption(m, body), LooksLikeRequest: LooksLikeRequest(m, body)}
			a, err := ParseAdoption(m, body, "acme")
			if err != nil {
				res.ParseError = err.Error()
			} else {
				res.Repositories, res.Answers = a.Repositories, a.Answers
			}
			out, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("adoption", name+".golden.json"), append(out, '\n'))
		})
	}
}

func TestParseAdoptionCases(t *testing.T) {
	m := loadManifest(t)
	if _, err := ParseAdoption(m, "### Owning team\n\nt", "acme"); !errors.Is(err, ErrNotARequest) {
		t.Errorf("no Repositories heading: %v", err)
	}
	if _, err := ParseAdoption(m, "### Repositories\n\na\n\n### repositories\n\nb", "acme"); err == nil || !strings.Contains(err.Error(), `"Repositories" appears more than once`) {
		t.Errorf("duplicate heading: %v", err)
	}
	// Headings moved around by an edit: the list is still the list, and the
	// answer above it does not swallow it.
	a, err := ParseAdoption(m, "### Owning team\n\nteam-a\n\n### Repositories\n\nx\ny", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Repositories.Names, []string{"x", "y"}) || !reflect.DeepEqual(a.Answers, map[string]any{"owner": "team-a"}) {
		t.Errorf("got %+v", a)
	}
}

// TestAdoptionRoundTrip: what RenderAdoptionBody writes (as GitHub would),
// ParseAdoption reads back, with CRLF too; the answers validate to the same
// values once completed with a name.
func TestAdoptionRoundTrip(t *testing.T) {
	m := loadManifest(t)
	repos := []string{"payments-api", "topic:payments"}
	sets := []map[string]any{
		{},
		{"owner": "team-x", "lifecycle": "production", "docker": false, "extras": []string{"metrics"}, "description": "Line one\n\nline two"},
		{"docker": true, "system": "core", "notes": "#### a sub-heading\ntext"},
	}
	for i, answers := range sets {
		body := RenderAdoptionBody(m, repos, answers)
		for _, crlf := range []bool{false, true} {
			b := body
			if crlf {
				b = strings.ReplaceAll(body, "\n", "\r\n")
			}
			if !LooksLikeAdoption(m, b) || LooksLikeRequest(m, b) {
				t.Errorf("set %d: LooksLikeAdoption %v, LooksLikeRequest %v", i, LooksLikeAdoption(m, b), LooksLikeRequest(m, b))
			}
			a, err := ParseAdoption(m, b, "acme")
			if err != nil {
				t.Fatalf("set %d: %v", i, err)
			}
			if !reflect.DeepEqual(a.Repositories, RepositoryList{Names: []string{"payments-api"}, Topics: []string{"payments"}}) {
				t.Errorf("set %d: repositories %+v", i, a.Repositories)
			}
			given := map[string]any{"name": "x", "description": "0123456789 at least", "owner": "o"}
			want := map[string]any{"name": "x", "description": "0123456789 at least", "owner": "o"}
			for k, v := range answers {
				want[k] = v
			}
			for k, v := range a.Answers {
				given[k] = v
			}
			gotV, err1 := m.Validate(given)
			wantV, err2 := m.Validate(want)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(gotV, wantV) {
				t.Errorf("set %d (crlf %v): parsed answers %#v validate to %#v (%v), want %#v (%v)", i, crlf, a.Answers, gotV, err1, wantV, err2)
			}
		}
	}
}

// FuzzParseAdoption: arbitrary bodies never panic; every name returned is a
// valid repository name and every topic a valid topic.
func FuzzParseAdoption(f *testing.F) {
	m := loadManifest(f)
	f.Add(RenderAdoptionBody(m, []string{"a", "acme/b", "topic:c"}, map[string]any{"docker": true}))
	f.Add("### Repositories\r\n\r\n```\r\nhttps://x/acme/\r\n")
	f.Add("### Repositories\n\ngit@h:acme/x.git, topic:\n- `")
	f.Fuzz(func(t *testing.T, body string) {
		a, err := ParseAdoption(m, body, "acme")
		if err != nil {
			return
		}
		for _, n := range a.Repositories.Names {
			if !repoNameRE.MatchString(n) {
				t.Errorf("name %q is not a repository name", n)
			}
		}
		for _, tp := range a.Repositories.Topics {
			if !topicRE.MatchString(tp) {
				t.Errorf("topic %q is not a topic", tp)
			}
		}
		_ = LooksLikeAdoption(m, body)
	})
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
