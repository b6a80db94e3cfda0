package template

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// AnswersFileName is the file a generated repository carries (SPEC §4): it
// says which template at which version made it, and with which answers.
const AnswersFileName = ".goldenpath.yml"

// AnswersFile is the content of .goldenpath.yml.
type AnswersFile struct {
	Template string  `yaml:"template"`
	Version  string  `yaml:"version"`
	Source   string  `yaml:"source"`
	Answers  Answers `yaml:"answers"`
	Request  string  `yaml:"request,omitempty"`
}

const answersFileHeader = "# Written by goldenpath: the template, version and answers this repository\n# was generated from. Template upgrades read and update it.\n"

// Marshal encodes the answers file deterministically (keys sorted).
func (a AnswersFile) Marshal() []byte {
	if a.Answers == nil {
		a.Answers = Answers{}
	}
	var buf bytes.Buffer
	buf.WriteString(answersFileHeader)
	doc := struct {
		Template string     `yaml:"template"`
		Version  string     `yaml:"version"`
		Source   string     `yaml:"source"`
		Answers  *yaml.Node `yaml:"answers"`
		Request  string     `yaml:"request,omitempty"`
	}{a.Template, a.Version, a.Source, answersNode(a.Answers), a.Request}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		// Answers hold only strings, bools and string lists: encoding cannot fail.
		panic(fmt.Sprintf("encoding %s: %v", AnswersFileName, err))
	}
	_ = enc.Close()
	return buf.Bytes()
}

// answersNode builds the answers mapping, keys sorted. It is built by hand
// rather than by yaml.v3's Node.Encode, which reads its own output back and
// so fails on the very strings it cannot write.
func answersNode(a Answers) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if len(a) == 0 {
		n.Style = yaml.FlowStyle
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v *yaml.Node
		switch x := a[k].(type) {
		case bool:
			v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
		case []string:
			v = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			if len(x) == 0 {
				v.Style = yaml.FlowStyle
			}
			for _, s := range x {
				v.Content = append(v.Content, stringNode(s))
			}
		default:
			s, _ := coerceString(x)
			v = stringNode(s)
		}
		n.Content = append(n.Content, stringNode(k), v)
	}
	return n
}

// stringNode is a string scalar. One that holds a tab or a character that
// is not printable is double-quoted: yaml.v3 would otherwise write a
// multi-line answer whose line starts with a tab as a block scalar that no
// YAML reader (yaml.v3 included) accepts back; in double quotes such
// characters are escaped and always read back the same.
func stringNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if !printableText(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// printableText reports whether s holds only printable characters, spaces
// and newlines.
func printableText(s string) bool {
	for _, r := range s {
		if r != '\n' && r != ' ' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// ParseAnswersFile decodes a .goldenpath.yml. Answers come back as strings,
// bools and []string, ready for Manifest.Validate.
func ParseAnswersFile(data []byte) (AnswersFile, error) {
	var a AnswersFile
	var raw struct {
		Template string         `yaml:"template"`
		Version  string         `yaml:"version"`
		Source   string         `yaml:"source"`
		Answers  map[string]any `yaml:"answers"`
		Request  string         `yaml:"request"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return a, fmt.Errorf("parsing %s: %w", AnswersFileName, err)
	}
	var missing []string
	if raw.Template == "" {
		missing = append(missing, "template")
	}
	if raw.Version == "" {
		missing = append(missing, "version")
	}
	if len(missing) > 0 {
		return a, fmt.Errorf("parsing %s: missing %s", AnswersFileName, strings.Join(missing, " and "))
	}
	a = AnswersFile{Template: raw.Template, Version: raw.Version, Source: raw.Source, Request: raw.Request, Answers: Answers{}}
	for k, v := range raw.Answers {
		switch v := v.(type) {
		case []any:
			l := make([]string, 0, len(v))
			for _, x := range v {
				s, ok := coerceString(x)
				if !ok {
					return AnswersFile{}, fmt.Errorf("parsing %s: answer %s holds a nested value", AnswersFileName, k)
				}
				l = append(l, s)
			}
			a.Answers[k] = l
		case nil:
			a.Answers[k] = ""
		case string, bool:
			a.Answers[k] = v
		default:
			s, ok := coerceString(v)
			if !ok {
				return AnswersFile{}, fmt.Errorf("parsing %s: answer %s holds a nested value", AnswersFileName, k)
			}
			a.Answers[k] = s
		}
	}
	return a, nil
}
