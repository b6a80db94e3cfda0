// Package catalog models Backstage's catalog-info.yaml and checks it with
// Backstage's own rules (the policies a catalog applies when it ingests an
// entity: no foreign root fields, field formats, the entity schema, and the
// Component kind's schema), so a generated repository is accepted by the
// organisation's catalog the first time it is registered.
//
// Checks work on the YAML node tree rather than on decoded structs so every
// problem can name its line, and a value of the wrong YAML type (a number
// where Backstage wants a string) is caught as Backstage's JSON schema would.
package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// FileName is the conventional name of the catalog descriptor in a repository.
const FileName = "catalog-info.yaml"

// APIVersion is the apiVersion of Backstage's core kinds.
const APIVersion = "backstage.io/v1alpha1"

// DefaultNamespace is the namespace of an entity that names none.
const DefaultNamespace = "default"

// Entity is one document of a catalog-info.yaml.
type Entity struct {
	APIVersion string         `yaml:"apiVersion" json:"apiVersion"`
	Kind       string         `yaml:"kind" json:"kind"`
	Metadata   Metadata       `yaml:"metadata" json:"metadata"`
	Spec       map[string]any `yaml:"spec,omitempty" json:"spec,omitempty"`
}

// Metadata is an entity's metadata block.
type Metadata struct {
	Name        string            `yaml:"name" json:"name"`
	Namespace   string            `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Title       string            `yaml:"title,omitempty" json:"title,omitempty"`
	Description string            `yaml:"description,omitempty" json:"description,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	Tags        []string          `yaml:"tags,omitempty" json:"tags,omitempty"`
	Links       []Link            `yaml:"links,omitempty" json:"links,omitempty"`
}

// Link is an entry of metadata.links.
type Link struct {
	URL   string `yaml:"url" json:"url"`
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	Icon  string `yaml:"icon,omitempty" json:"icon,omitempty"`
	Type  string `yaml:"type,omitempty" json:"type,omitempty"`
}

// Well-known annotations the golden paths set.
const (
	AnnotationProjectSlug = "github.com/project-slug"
	AnnotationTechDocsRef = "backstage.io/techdocs-ref"
)

// SpecString returns a string field of spec ("" when absent or not a string).
func (e *Entity) SpecString(field string) string {
	s, _ := e.Spec[field].(string)
	return s
}

// Problem is one reason an entity is invalid.
type Problem struct {
	Doc     int    // 0-based index of the YAML document
	Line    int    // 1-based line in the file, 0 when unknown
	Field   string // dotted path, e.g. metadata.name
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a file.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return "invalid catalog entity: " + strings.Join(msgs, "; ")
}

// Validate checks every YAML document of a catalog-info.yaml. It returns a
// *ValidationError listing all problems, or an error if the YAML itself does
// not parse.
func Validate(data []byte) error {
	docs, err := documents(data)
	if err != nil {
		return err
	}
	var problems []Problem
	for i, doc := range docs {
		v := validator{doc: i}
		v.entity(doc)
		problems = append(problems, v.problems...)
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// Parse validates a catalog-info.yaml and decodes its entities.
func Parse(data []byte) ([]Entity, error) {
	if err := Validate(data); err != nil {
		return nil, err
	}
	docs, err := documents(data)
	if err != nil {
		return nil, err
	}
	out := make([]Entity, len(docs))
	for i, doc := range docs {
		if err := doc.Decode(&out[i]); err != nil {
			return nil, fmt.Errorf("decoding entity %d: %w", i, err)
		}
	}
	return out, nil
}

// Documents returns the non-empty YAML documents of a file decoded as plain
// values (maps, lists, scalars), e.g. to hand them to another validator as JSON.
func Documents(data []byte) ([]any, error) {
	docs, err := documents(data)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(docs))
	for i, doc := range docs {
		if err := doc.Decode(&out[i]); err != nil {
			return nil, fmt.Errorf("decoding document %d: %w", i, err)
		}
	}
	return out, nil
}

// documents splits a file into its non-empty documents' root nodes.
func documents(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", FileName, err)
		}
		if len(n.Content) == 0 || isNull(n.Content[0]) {
			continue // an empty document, e.g. after a trailing ---
		}
		docs = append(docs, n.Content[0])
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("parsing %s: no entity in the file", FileName)
	}
	return docs, nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }
