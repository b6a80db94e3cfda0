package issueform

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// What GitHub writes for a field left empty.
const (
	NoResponse     = "_No response_" // input, textarea, checkboxes
	NoneSelected   = "None"          // an optional dropdown with nothing chosen
	headingPrefix  = "### "
	checkedPrefix  = "- [X] "
	uncheckedBoxes = "- [ ] "
)

// ErrNotARequest is returned by ParseBody when the body has none of the form's headings.
var ErrNotARequest = errors.New("the issue body does not have the headings of the form")

// RenderBody renders answers exactly the way GitHub renders a submitted form
// for this manifest: `### <label>` then the value, sections joined by a blank
// line; empty values as _No response_ (None for a dropdown); multi-select
// joined by ", "; a checkbox as `- [X] <label>` or `- [ ] <label>`.
func RenderBody(m *template.Manifest, answers map[string]any) string {
	return renderSections(m.Parameters, answers)
}

// renderSections renders one `### <title>` section per parameter.
func renderSections(params []template.Parameter, answers map[string]any) string {
	sections := make([]string, 0, len(params))
	for _, p := range params {
		v := answers[p.ID]
		var val string
		switch p.Type {
		case template.TypeBoolean:
			if truthy(v) {
				val = checkedPrefix + p.Title
			} else {
				val = uncheckedBoxes + p.Title
			}
		case template.TypeChoice, template.TypeMultiChoice:
			val = strings.TrimSpace(valueString(v))
			if val == "" {
				val = NoneSelected
			}
		default:
			val = strings.Trim(valueString(v), "\n")
			if strings.TrimSpace(val) == "" {
				val = NoResponse
			}
		}
		sections = append(sections, headingPrefix+p.Title+"\n\n"+val)
	}
	return strings.Join(sections, "\n\n")
}

func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes", "y", "on", "1", "x", "[x]":
			return true
		}
	}
	return false
}

// section is one `### heading` of a body and the lines under it.
type section struct {
	param *template.Parameter
	lines []string
}

// split cuts a body into the sections whose heading is a parameter title.
// A `###` line that is not a title stays part of the answer above it: users
// write Markdown in textareas. A title heading always starts a section, even
// after an unclosed code fence, so one stray ``` cannot swallow the rest.
func split(m *template.Manifest, body string) (map[string]*section, []string) {
	return splitSections(titles(m.Parameters), body)
}

// titles maps the normalised title of each parameter to it.
func titles(params []template.Parameter) map[string]*template.Parameter {
	byTitle := make(map[string]*template.Parameter, len(params))
	for i := range params {
		byTitle[normTitle(params[i].Title)] = &params[i]
	}
	return byTitle
}

// splitSections cuts body at the headings of byTitle; sections are keyed by
// parameter id. It also returns the titles of headings seen twice.
func splitSections(byTitle map[string]*template.Parameter, body string) (map[string]*section, []string) {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	out := map[string]*section{}
	var dups []string
	var cur *section
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "###") && !strings.HasPrefix(line, "####") {
			if p, ok := byTitle[normTitle(strings.TrimPrefix(line, "###"))]; ok {
				cur = &section{param: p}
				if _, seen := out[p.ID]; seen {
					dups = append(dups, p.Title)
					continue
				}
				out[p.ID] = cur
				continue
			}
		}
		if cur != nil {
			cur.lines = append(cur.lines, line)
		}
	}
	return out, dups
}

func normTitle(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// fenceOf returns the fence (``` or ~~~, possibly longer) opening line s.
func fenceOf(s string) string {
	for _, c := range []string{"`", "~"} {
		n := len(s) - len(strings.TrimLeft(s, c))
		if n >= 3 {
			return strings.Repeat(c, n)
		}
	}
	return ""
}

// ParseBody maps a submitted issue body back to raw answers keyed by
// parameter id, ready for Manifest.Validate. Empty answers (_No response_,
// None, a heading missing) are left out, so Validate applies defaults or
// reports "is required". It fails only when the body is not this form at all.
func ParseBody(m *template.Manifest, body string) (map[string]any, error) {
	sections, dups := split(m, body)
	if len(sections) == 0 {
		return nil, fmt.Errorf("reading the request for template %s: %w", m.Name, ErrNotARequest)
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("reading the request for template %s: the heading %q appears more than once", m.Name, dups[0])
	}
	return answersOf(sections), nil
}

// answersOf decodes each section's answer for its parameter's type, leaving
// out the empty ones (_No response_, None).
func answersOf(sections map[string]*section) map[string]any {
	raw := map[string]any{}
	for id, s := range sections {
		if v, ok := s.answer(); ok {
			raw[id] = v
		}
	}
	return raw
}

// answer is the section's value for its parameter, and false when empty.
func (s *section) answer() (any, bool) {
	text := strings.Trim(strings.Join(s.lines, "\n"), "\n")
	text = strings.TrimRight(text, " \t\n")
	switch s.param.Type {
	case template.TypeBoolean:
		return parseCheckbox(text)
	case template.TypeChoice, template.TypeMultiChoice:
		t := strings.TrimSpace(text)
		if t == "" || t == NoneSelected || t == NoResponse {
			return nil, false
		}
		if s.param.Type == template.TypeMultiChoice {
			var list []string
			for _, part := range strings.Split(t, ",") {
				if part = strings.TrimSpace(part); part != "" {
					list = append(list, part)
				}
			}
			return list, true
		}
		return t, true
	}
	if strings.TrimSpace(text) == NoResponse || strings.TrimSpace(text) == "" {
		return nil, false
	}
	v := unfence(text)
	if s.param.Type == template.TypeString {
		v = strings.TrimSpace(v)
	}
	return v, true
}

// parseCheckbox reads `- [X] label`, `- [x] label` or `- [ ] label`.
func parseCheckbox(text string) (bool, bool) {
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		l = strings.TrimPrefix(strings.TrimPrefix(l, "- "), "* ")
		switch {
		case strings.HasPrefix(l, "[X]"), strings.HasPrefix(l, "[x]"):
			return true, true
		case strings.HasPrefix(l, "[ ]"):
			return false, true
		}
	}
	return false, false
}

// unfence removes a code fence that wraps the whole answer (a textarea with
// `render:`, or a user who pasted a block).
func unfence(text string) string {
	lines := strings.Split(text, "\n")
	if len(lines) < 2 {
		return text
	}
	first, last := strings.TrimSpace(lines[0]), strings.TrimSpace(lines[len(lines)-1])
	f := fenceOf(first)
	if f == "" || !strings.HasPrefix(last, f) || strings.TrimLeft(last, f[:1]) != "" {
		return text
	}
	// The opening fence may carry a language; the closing one must be bare.
	inner := lines[1 : len(lines)-1]
	for _, l := range inner {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, f) && strings.TrimLeft(t, f[:1]) == "" {
			return text // more than one block: not a single wrapped answer
		}
	}
	return strings.Join(inner, "\n")
}

// LooksLikeRequest reports whether body is a submission of this template's
// form, for issues whose labels GitHub dropped: the headings of `name` and
// `owner` are there, and at least three quarters of all the form's headings.
func LooksLikeRequest(m *template.Manifest, body string) bool {
	sections, _ := split(m, body)
	if sections["name"] == nil || sections["owner"] == nil || len(m.Parameters) == 0 {
		return false
	}
	return 4*len(sections) >= 3*len(m.Parameters)
}
