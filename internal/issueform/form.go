// Package issueform turns a template manifest into a GitHub issue form, and
// the body GitHub renders from a submitted form back into raw answers.
//
// The link between the two is the parameter title: it is the form element's
// label, which GitHub renders as a `### <label>` heading in the issue body.
package issueform

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/template"
	"gopkg.in/yaml.v3"
)

// Labels every request form carries. GitHub drops labels that do not exist in
// the repository, so the bot creates them (and LooksLikeRequest is the fallback).
const RequestLabel = "goldenpath"

// TemplateLabel is the label naming the template a request is for.
func TemplateLabel(name string) string { return "template:" + name }

// Form is the YAML shape of .github/ISSUE_TEMPLATE/*.yml (GitHub issue forms).
type Form struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Title       string    `yaml:"title,omitempty"`
	Labels      []string  `yaml:"labels,omitempty"`
	Body        []Element `yaml:"body"`

	template string // for the generated-file header
}

// Element is one form element: input, textarea, dropdown or checkboxes.
type Element struct {
	Type        string       `yaml:"type"`
	ID          string       `yaml:"id,omitempty"`
	Attributes  Attributes   `yaml:"attributes"`
	Validations *Validations `yaml:"validations,omitempty"`
}

// Attributes of an element; which ones apply depends on its type.
type Attributes struct {
	Label       string `yaml:"label"`
	Description string `yaml:"description,omitempty"`
	Placeholder string `yaml:"placeholder,omitempty"` // input, textarea
	Value       string `yaml:"value,omitempty"`       // input, textarea: pre-filled
	Multiple    bool   `yaml:"multiple,omitempty"`    // dropdown
	// Options: []string for a dropdown, []CheckboxOption for checkboxes.
	Options any  `yaml:"options,omitempty"`
	Default *int `yaml:"default,omitempty"` // dropdown: index of the preselected option
}

// CheckboxOption is one box of a checkboxes element.
type CheckboxOption struct {
	Label    string `yaml:"label"`
	Required bool   `yaml:"required,omitempty"`
}

// Validations of an element.
type Validations struct {
	Required bool `yaml:"required"`
}

// Element types.
const (
	TypeInput      = "input"
	TypeTextarea   = "textarea"
	TypeDropdown   = "dropdown"
	TypeCheckboxes = "checkboxes"
)

// FormPath is where the form for template name lives in the templates repository.
func FormPath(name string) string { return FormsDir + "new-" + name + ".yml" }

// FormsDir is the folder of a repository that holds its issue forms.
const FormsDir = ".github/ISSUE_TEMPLATE/"

// TitlePrefix is the issue title the form pre-fills.
func TitlePrefix(name string) string { return "[new " + name + "] " }

// FromManifest builds the issue form for a template: one element per
// parameter, labelled with the parameter's title, with the example as
// placeholder and `required` validations.
func FromManifest(m *template.Manifest) *Form {
	desc := strings.TrimSpace(m.Description)
	if desc == "" {
		desc = m.Title // GitHub requires a description
	}
	f := &Form{
		Name:        m.Title,
		Description: desc,
		Title:       TitlePrefix(m.Name),
		Labels:      []string{RequestLabel, TemplateLabel(m.Name)},
		template:    m.Name,
	}
	for _, p := range m.Parameters {
		f.Body = append(f.Body, element(p))
	}
	return f
}

// element is the form element that asks parameter p.
func element(p template.Parameter) Element {
	e := Element{ID: p.ID, Attributes: Attributes{Label: p.Title, Description: strings.TrimSpace(p.Description)}}
	switch p.Type {
	case template.TypeString, template.TypeText:
		e.Type = TypeInput
		if p.Type == template.TypeText {
			e.Type = TypeTextarea
		}
		e.Attributes.Placeholder = valueString(p.Example)
		if p.Default != nil {
			e.Attributes.Value = valueString(p.Default)
		}
		e.Validations = &Validations{Required: p.Required}
	case template.TypeChoice, template.TypeMultiChoice:
		e.Type = TypeDropdown
		e.Attributes.Multiple = p.Type == template.TypeMultiChoice
		e.Attributes.Options = append([]string{}, p.Options...)
		if d, ok := p.Default.(string); ok {
			for i, o := range p.Options {
				if o == d {
					e.Attributes.Default = &i
				}
			}
		}
		if p.Example != nil && e.Attributes.Description == "" {
			e.Attributes.Description = "For example: " + valueString(p.Example)
		}
		e.Validations = &Validations{Required: p.Required}
	case template.TypeBoolean:
		// An unticked box is a valid answer (false): never required.
		e.Type = TypeCheckboxes
		e.Attributes.Options = []CheckboxOption{{Label: p.Title}}
	}
	return e
}

func valueString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []string:
		return strings.Join(v, ", ")
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

// Marshal encodes the form as deterministic YAML, headed by a comment saying
// it is generated.
func (f *Form) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	src := "template.yaml"
	if f.template != "" {
		src = "templates/" + f.template + "/template.yaml"
	}
	fmt.Fprintf(&buf, "# Generated by `goldenpath forms` from %s: do not edit, run `goldenpath forms` instead.\n", src)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encoding issue form %s: %w", f.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding issue form %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}
