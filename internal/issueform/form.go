// Package issueform turns a template manifest into a GitHub issue form and a
// submitted issue body back into answers.
package issueform

import (
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Form is the YAML shape of .github/ISSUE_TEMPLATE/*.yml (GitHub issue forms).
type Form struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Title       string    `yaml:"title,omitempty"`
	Labels      []string  `yaml:"labels,omitempty"`
	Body        []Element `yaml:"body"`
}

// Element is one form element.
type Element struct {
	Type        string       `yaml:"type"`
	ID          string       `yaml:"id,omitempty"`
	Attributes  Attributes   `yaml:"attributes"`
	Validations *Validations `yaml:"validations,omitempty"`
}

// Attributes of an element; which ones apply depends on its type.
type Attributes struct {
	Label       string `yaml:"label,omitempty"`
	Description string `yaml:"description,omitempty"`
	Placeholder string `yaml:"placeholder,omitempty"`
	Value       string `yaml:"value,omitempty"`
	Render      string `yaml:"render,omitempty"`
	Multiple    bool   `yaml:"multiple,omitempty"`
	Options     []any  `yaml:"options,omitempty"`
	Default     *int   `yaml:"default,omitempty"`
}

// Validations of an element.
type Validations struct {
	Required bool `yaml:"required"`
}

// FormPath is where the form for template name lives in the templates repository.
func FormPath(name string) string { return ".github/ISSUE_TEMPLATE/new-" + name + ".yml" }

// FromManifest builds the issue form for a template.
func FromManifest(m *template.Manifest) *Form { panic("unimplemented") }

// Marshal encodes the form as deterministic YAML.
func (f *Form) Marshal() ([]byte, error) { panic("unimplemented") }

// ParseBody maps a submitted issue body back to raw answers by parameter id.
func ParseBody(m *template.Manifest, body string) (map[string]any, error) {
	panic("unimplemented")
}

// LooksLikeRequest reports whether body has this template's form headings.
func LooksLikeRequest(m *template.Manifest, body string) bool { panic("unimplemented") }

// RenderBody renders answers the way GitHub renders a submitted form.
func RenderBody(m *template.Manifest, answers map[string]any) string { panic("unimplemented") }
