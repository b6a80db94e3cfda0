package issueform

import (
	"fmt"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// AdoptLabel marks an adoption request (SPEC §6): existing repositories
// joining a golden path, rather than a new repository.
const AdoptLabel = "goldenpath:adopt"

// RepositoriesTitle is the label of the adoption form's first field, and the
// heading an adoption issue is recognised by when GitHub dropped its labels.
const RepositoriesTitle = "Repositories"

// repositoriesID is the id of the Repositories field.
const repositoriesID = "repositories"

// Answers an adoption form offers for a boolean parameter: a dropdown, so
// that "not chosen" (None: infer or use the default) differs from "no".
const (
	AdoptYes = "yes"
	AdoptNo  = "no"
)

// AdoptFormPath is where the adoption form for template name lives in the
// templates repository.
func AdoptFormPath(name string) string { return FormsDir + "adopt-" + name + ".yml" }

// AdoptTitlePrefix is the issue title the adoption form pre-fills.
func AdoptTitlePrefix(name string) string { return "[adopt " + name + "] " }

// TemplateOfFormPath returns the template a generated form path is for
// (new-<name>.yml or adopt-<name>.yml in .github/ISSUE_TEMPLATE/).
func TemplateOfFormPath(p string) (string, bool) {
	base, ok := strings.CutPrefix(p, FormsDir)
	if !ok || strings.Contains(base, "/") {
		return "", false
	}
	base, ok = strings.CutSuffix(base, ".yml")
	if !ok {
		return "", false
	}
	for _, prefix := range []string{"new-", "adopt-"} {
		if name, ok := strings.CutPrefix(base, prefix); ok && name != "" {
			return name, true
		}
	}
	return "", false
}

// adoptParams are the parameters an adoption form asks: every one but
// `name` (each repository's own name), none required (what is left empty
// is inferred per repository), no value pre-filled (a pre-filled default
// would override what the repository says), and booleans as a yes/no
// dropdown (an unticked box could not say "not answered").
func adoptParams(m *template.Manifest) []template.Parameter {
	var out []template.Parameter
	for _, p := range m.Parameters {
		if p.ID == "name" {
			continue
		}
		p.Required = false
		p.Default = nil
		if p.Type == template.TypeBoolean {
			p.Type = template.TypeChoice
			p.Options = []string{AdoptYes, AdoptNo}
			p.Example = nil
		}
		out = append(out, p)
	}
	return out
}

// checkAdoptable reports a parameter whose id or title would collide with
// the Repositories field.
func checkAdoptable(m *template.Manifest) error {
	for _, p := range m.Parameters {
		if p.ID == repositoriesID || normTitle(p.Title) == normTitle(RepositoriesTitle) {
			return fmt.Errorf("template %s: parameter %s collides with the adoption form's %q field; rename its id or title",
				m.Name, p.ID, RepositoriesTitle)
		}
	}
	return nil
}

// AdoptFromManifest builds the adoption form of a template (SPEC §6): a
// Repositories textarea, then every parameter except `name`, all optional.
func AdoptFromManifest(m *template.Manifest) (*Form, error) {
	if err := checkAdoptable(m); err != nil {
		return nil, err
	}
	f := &Form{
		Name: "Adopt: " + m.Title,
		Description: "Bring existing repositories onto the " + m.Name + " golden path: one pull request each " +
			"adds the files they lack and keeps every file they have.",
		Title:    AdoptTitlePrefix(m.Name),
		Labels:   []string{RequestLabel, AdoptLabel, TemplateLabel(m.Name)},
		template: m.Name,
	}
	f.Body = append(f.Body, Element{
		Type: TypeTextarea,
		ID:   repositoriesID,
		Attributes: Attributes{
			Label: RepositoriesTitle,
			Description: "One repository per line (with or without the organisation: `payments-api` or " +
				"`acme/payments-api`), or `topic:<topic>` for every repository with that topic.",
			Placeholder: "payments-api\ntopic:payments",
		},
		Validations: &Validations{Required: true},
	})
	for _, p := range adoptParams(m) {
		e := element(p)
		e.Attributes.Description = sentence(e.Attributes.Description) + adoptHint
		f.Body = append(f.Body, e)
	}
	return f, nil
}

// adoptHint ends the description of every answer on the adoption form.
const adoptHint = "Leave empty to infer it from each repository where goldenpath can, else the template's default; an answer here applies to every repository listed."

// sentence ends a non-empty description with a full stop and a space.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return ""
	case strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?"):
		return s + " "
	}
	return s + ". "
}

// Adoption is a submitted adoption form: which repositories, and the
// answers given for all of them.
type Adoption struct {
	Repositories RepositoryList
	// Answers are the raw answers given, keyed by parameter id, ready to be
	// completed per repository and validated (a boolean is "yes" or "no").
	// Empty answers are left out.
	Answers map[string]any
}

// ParseAdoption reads a submitted adoption issue body. org is the account
// the repositories must be in (names may carry it: `acme/payments`). It
// fails only when the body is not an adoption form at all.
func ParseAdoption(m *template.Manifest, body, org string) (*Adoption, error) {
	params := adoptParams(m)
	byTitle := titles(params)
	reposParam := &template.Parameter{ID: repositoriesID, Title: RepositoriesTitle, Type: template.TypeText}
	byTitle[normTitle(RepositoriesTitle)] = reposParam
	sections, dups := splitSections(byTitle, body)
	repos := sections[repositoriesID]
	if repos == nil {
		return nil, fmt.Errorf("reading the adoption request for template %s: %w", m.Name, ErrNotARequest)
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("reading the adoption request for template %s: the heading %q appears more than once", m.Name, dups[0])
	}
	delete(sections, repositoriesID)
	text, _ := repos.answer()
	list, _ := text.(string)
	return &Adoption{Repositories: ParseRepositories(list, org), Answers: answersOf(sections)}, nil
}

// LooksLikeAdoption reports whether body is a submitted adoption form, for
// issues whose labels GitHub dropped: it has the Repositories heading and
// not the heading of the `name` parameter (which only a request asks).
func LooksLikeAdoption(m *template.Manifest, body string) bool {
	byTitle := map[string]*template.Parameter{
		normTitle(RepositoriesTitle): {ID: repositoriesID, Title: RepositoriesTitle},
	}
	if p, ok := m.Param("name"); ok {
		byTitle[normTitle(p.Title)] = p
	}
	sections, _ := splitSections(byTitle, body)
	return sections[repositoriesID] != nil && sections["name"] == nil
}

// RenderAdoptionBody renders an adoption form's submission the way GitHub
// does: the Repositories list, then every other parameter's answer (a
// boolean as yes/no, empty as _No response_ or None).
func RenderAdoptionBody(m *template.Manifest, repositories []string, answers map[string]any) string {
	list := strings.Join(repositories, "\n")
	if strings.TrimSpace(list) == "" {
		list = NoResponse
	}
	given := make(map[string]any, len(answers))
	for k, v := range answers {
		if b, ok := v.(bool); ok {
			v = AdoptNo
			if b {
				v = AdoptYes
			}
		}
		given[k] = v
	}
	return headingPrefix + RepositoriesTitle + "\n\n" + list + "\n\n" + renderSections(adoptParams(m), given)
}
