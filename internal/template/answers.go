package template

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Answers are validated parameter values keyed by parameter id. A value is a
// string (string, text, choice), a bool (boolean) or a []string
// (multichoice). After Validate every parameter has a value.
type Answers map[string]any

// Problem is one thing wrong with the answers, phrased for the person who
// filled in the form.
type Problem struct {
	Param   string // parameter id (or the unknown key)
	Title   string // parameter title: the label the user saw on the form
	Message string // what is wrong, e.g. "is required"
}

func (p Problem) String() string { return p.Title + ": " + p.Message }

// ValidationError lists every problem with a set of answers.
type ValidationError struct {
	Problems []Problem
}

// Error lists every problem, one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// MaxNameLength is the longest `name`: a DNS label.
const MaxNameLength = 63

// teamSlugRE is the shape of a GitHub team slug: GitHub lowercases the team
// name and turns everything but letters, digits, '_' and '-' into '-'.
var teamSlugRE = regexp.MustCompile(`^[a-z0-9_]+(-+[a-z0-9_]+)*$`)

// windowsDeviceRE matches the names Windows reserves for devices: a folder
// of that name (a clone of the repository) cannot be made there.
var windowsDeviceRE = regexp.MustCompile(`^(con|prn|aux|nul|com[1-9]|lpt[1-9])$`)

// Validate checks raw answers against the parameters and returns them
// normalised, with defaults applied and every parameter present (absent
// optional answers get "", false or an empty list, so templates can use
// every id under missingkey=error). Strings are accepted for every type,
// because CLI --set values and issue bodies are strings. Every problem is
// reported at once in a *ValidationError.
func (m *Manifest) Validate(raw map[string]any) (Answers, error) {
	out := Answers{}
	var problems []Problem
	for i := range m.Parameters {
		prm := &m.Parameters[i]
		v, ok := raw[prm.ID]
		if !ok || IsEmpty(v) {
			switch {
			case prm.Default != nil:
				out[prm.ID] = copyValue(prm.Default)
			case prm.Required:
				problems = append(problems, Problem{prm.ID, prm.Title, "is required"})
			default:
				out[prm.ID] = prm.zero()
			}
			continue
		}
		nv, msgs := prm.check(v)
		for _, msg := range msgs {
			problems = append(problems, Problem{prm.ID, prm.Title, msg})
		}
		if len(msgs) == 0 {
			out[prm.ID] = nv
		}
	}
	var unknown []string
	for k := range raw {
		if _, ok := m.Param(k); !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		problems = append(problems, Problem{k, k, fmt.Sprintf("is not a parameter of template %s", m.Name)})
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return out, nil
}

// ExampleAnswers returns every parameter's example, as validated answers.
func (m *Manifest) ExampleAnswers() Answers {
	a := Answers{}
	for _, p := range m.Parameters {
		if p.Example != nil {
			a[p.ID] = copyValue(p.Example)
		} else {
			a[p.ID] = p.zero()
		}
	}
	return a
}

func (p *Parameter) zero() any {
	switch p.Type {
	case TypeBoolean:
		return false
	case TypeMultiChoice:
		return []string{}
	}
	return ""
}

func copyValue(v any) any {
	if l, ok := v.([]string); ok {
		return append([]string{}, l...)
	}
	return v
}

// IsEmpty reports whether an answer counts as not given: nil, blank text or
// an empty list. Validate applies the default (or says "is required") then.
func IsEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []string:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// check coerces one present answer to the parameter's type and checks it.
// It returns the normalised value, or messages saying what is wrong.
func (p *Parameter) check(v any) (any, []string) {
	switch p.Type {
	case TypeBoolean:
		b, ok := coerceBool(v)
		if !ok {
			return nil, []string{fmt.Sprintf("must be true or false, not %s", quoted(fmt.Sprint(v)))}
		}
		return b, nil
	case TypeMultiChoice:
		list, ok := coerceList(v)
		if !ok {
			return nil, []string{"must be a list of options"}
		}
		return p.checkMulti(list)
	}
	s, ok := coerceString(v)
	if !ok {
		return nil, []string{"must be text, not a list or mapping"}
	}
	s = normaliseText(s)
	if p.Type != TypeText && strings.ContainsAny(s, "\r\n") {
		return nil, []string{"must be a single line"}
	}
	if msg := textProblem(s, p.Type == TypeText); msg != "" {
		return nil, []string{msg}
	}
	if p.Type == TypeChoice {
		if !contains(p.Options, s) {
			return s, []string{fmt.Sprintf("%s is not one of the options: %s", quoted(s), strings.Join(p.Options, ", "))}
		}
		return s, nil
	}
	// name and owner have fixed shapes; when one is wrong, say that alone
	// rather than repeat it through the manifest's own pattern or maxLength.
	var msgs []string
	switch p.ID {
	case "name":
		if !nameRE.MatchString(s) {
			msgs = append(msgs, fmt.Sprintf("%s must be lowercase letters and digits in words joined by single hyphens, like payments-api (it names the repository, the catalog entry and the image)", quoted(s)))
		}
		if windowsDeviceRE.MatchString(s) {
			msgs = append(msgs, fmt.Sprintf("%s is a reserved device name on Windows, where a clone of the repository would fail", quoted(s)))
		}
		if len(s) > MaxNameLength {
			msgs = append(msgs, fmt.Sprintf("must be at most %d characters long (it is also a DNS name)", MaxNameLength))
		}
	case "owner":
		if !teamSlugRE.MatchString(s) {
			msgs = append(msgs, fmt.Sprintf("%s must be a GitHub team slug, like team-payments (lowercase, without @ or the organization)", quoted(s)))
		}
	}
	if len(msgs) > 0 {
		return s, msgs
	}
	n := utf8.RuneCountInString(s)
	if p.MinLength != nil && n < *p.MinLength {
		msgs = append(msgs, fmt.Sprintf("must be at least %d characters long", *p.MinLength))
	}
	if p.MaxLength != nil && n > *p.MaxLength {
		msgs = append(msgs, fmt.Sprintf("must be at most %d characters long", *p.MaxLength))
	}
	re := p.pattern
	if re == nil && p.Pattern != "" {
		// A parameter built in code rather than by ParseManifest. Compiled
		// here, not stored: manifests are shared between goroutines.
		re, _ = regexp.Compile(`^(?:` + p.Pattern + `)$`)
	}
	if re != nil && !re.MatchString(s) {
		msgs = append(msgs, fmt.Sprintf("must match the pattern %s", p.Pattern))
	}
	return s, msgs
}

func (p *Parameter) checkMulti(list []string) (any, []string) {
	var msgs []string
	chosen := map[string]bool{}
	unknown := 0
	for _, o := range list {
		if !contains(p.Options, o) {
			if unknown++; unknown <= maxUnknownOptions {
				msgs = append(msgs, fmt.Sprintf("%s is not one of the options: %s", quoted(o), strings.Join(p.Options, ", ")))
			}
			continue
		}
		chosen[o] = true
	}
	if unknown > maxUnknownOptions {
		msgs = append(msgs, fmt.Sprintf("%d more answers are not options either", unknown-maxUnknownOptions))
	}
	// Options order, duplicates dropped: the same choice renders the same.
	out := []string{}
	for _, o := range p.Options {
		if chosen[o] {
			out = append(out, o)
		}
	}
	if p.Required && len(out) == 0 && len(msgs) == 0 {
		msgs = append(msgs, "is required")
	}
	if p.MinLength != nil && len(out) < *p.MinLength {
		msgs = append(msgs, fmt.Sprintf("needs at least %d selections", *p.MinLength))
	}
	if p.MaxLength != nil && len(out) > *p.MaxLength {
		msgs = append(msgs, fmt.Sprintf("allows at most %d selections", *p.MaxLength))
	}
	return out, msgs
}

func coerceString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "", false
		}
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	return "", false
}

func coerceBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case int:
		if v == 0 || v == 1 {
			return v == 1, true
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes", "y", "on", "1", "x", "[x]":
			return true, true
		case "false", "no", "n", "off", "0", "[ ]", "[]":
			return false, true
		}
	}
	return false, false
}

func coerceList(v any) ([]string, bool) {
	var parts []string
	switch v := v.(type) {
	case string:
		parts = strings.Split(v, ",")
	case []string:
		parts = v
	case []any:
		for _, x := range v {
			s, ok := coerceString(x)
			if !ok {
				return nil, false
			}
			parts = append(parts, s)
		}
	default:
		return nil, false
	}
	out := []string{}
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, true
}

// Answers come from issue bodies up to 65,536 characters, and the problems
// are posted back as one comment (at most 65,536 characters too): a message
// quotes only the start of a long answer, and a multichoice answer lists only
// its first few unknown options, so one hostile answer cannot make the
// comment too long for GitHub to take.
const (
	maxQuotedRunes    = 60
	maxUnknownOptions = 5
)

// quoted quotes an answer for a problem message, cut to maxQuotedRunes.
func quoted(s string) string {
	if utf8.RuneCountInString(s) <= maxQuotedRunes {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:maxQuotedRunes])) + "…"
}
