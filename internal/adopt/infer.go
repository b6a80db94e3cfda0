// Package adopt decides how an existing repository joins a golden path
// (SPEC §6), without any I/O: the answers inferred from what the repository
// already says (Infer), and the files an adoption adds and keeps (NewPlan).
// The bot's adoption workflow and `goldenpath adopt` read the inputs their
// own way and hand them here, so both adopt a repository identically.
package adopt

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// CodeOwnersPaths are where GitHub looks for CODEOWNERS, in the order it
// looks: the first one present is the only one GitHub uses.
var CodeOwnersPaths = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// Input is what inference reads about one repository.
type Input struct {
	// Manifest is the template the repository adopts.
	Manifest *template.Manifest
	// Org is the account the repository lives in: only its teams own it.
	Org string
	// Name is the repository's name: the `name` answer.
	Name string
	// Description is the repository's description on GitHub.
	Description string
	// Files holds the contents of the files inference reads, by path, for
	// those the repository has: catalog-info.yaml and its CODEOWNERS (see
	// InputPaths).
	Files map[string][]byte
	// AdminTeams are the slugs of the teams with admin or maintain
	// permission on the repository.
	AdminTeams []string
	// Given are answers given for every repository (the adoption issue's
	// fields, or --set), keyed by parameter id. They win over inference.
	Given map[string]any
}

// Result is the outcome for one repository.
type Result struct {
	// Answers are the validated answers; nil when there are Problems.
	Answers template.Answers
	// Sources say where each answer that was not given came from, by
	// parameter id: "repository name", "catalog-info.yaml spec.owner",
	// "CODEOWNERS", "default", ...
	Sources map[string]string
	// Problems name every parameter that could not be answered, and why.
	Problems []template.Problem
}

// InputPaths are the files Infer reads, given the paths the repository has:
// catalog-info.yaml and the CODEOWNERS GitHub would use. A caller fetches
// only these.
func InputPaths(has func(path string) bool) []string {
	var out []string
	if has(catalog.FileName) {
		out = append(out, catalog.FileName)
	}
	if p := codeOwnersPath(has); p != "" {
		out = append(out, p)
	}
	return out
}

func codeOwnersPath(has func(string) bool) string {
	for _, p := range CodeOwnersPaths {
		if has(p) {
			return p
		}
	}
	return ""
}

// guess is an inferred raw answer and where it came from; when none could
// be found, why not.
type guess struct {
	value, source string
	why           []string
}

// Infer completes the answers of one repository (SPEC §6): `name` is the
// repository's name; every other parameter not given is inferred — owner
// from catalog-info.yaml spec.owner, else CODEOWNERS, else the only team with
// admin or maintain permission; description from the repository's
// description; system and lifecycle from catalog-info.yaml — else its
// default. Everything is validated like a typed answer.
func Infer(in Input) Result {
	m := in.Manifest
	res := Result{Sources: map[string]string{}}
	raw := map[string]any{}
	why := map[string][]string{}
	for k, v := range in.Given {
		raw[k] = v
	}
	if given, ok := in.Given["name"]; ok && fmt.Sprint(given) != in.Name {
		res.Problems = append(res.Problems, template.Problem{Param: "name", Title: titleOf(m, "name"),
			Message: fmt.Sprintf("is the repository's name (%s) and cannot be given", in.Name)})
	}
	raw["name"] = in.Name
	res.Sources["name"] = "repository name"

	facts := readFacts(in)
	for _, p := range m.Parameters {
		if p.ID == "name" || !template.IsEmpty(raw[p.ID]) {
			continue
		}
		delete(raw, p.ID)
		g := facts.guess(p.ID)
		switch {
		case g.value != "":
			raw[p.ID] = g.value
			res.Sources[p.ID] = g.source
		case p.Default != nil:
			res.Sources[p.ID] = "default"
		default:
			why[p.ID] = g.why
		}
	}

	answers, err := m.Validate(raw)
	var ve *template.ValidationError
	if err != nil && !errors.As(err, &ve) {
		res.Problems = append(res.Problems, template.Problem{Param: "", Title: m.Name, Message: err.Error()})
	}
	if ve != nil {
		for _, p := range ve.Problems {
			res.Problems = append(res.Problems, explain(p, res.Sources[p.Param], why[p.Param]))
		}
	}
	if len(res.Problems) > 0 {
		res.Sources = nil
		return res
	}
	res.Answers = answers
	return res
}

// explain rewords a validation problem of an answer that was not typed: it
// says where the answer came from, or why none could be found.
func explain(p template.Problem, source string, why []string) template.Problem {
	switch {
	case source != "" && source != "default":
		p.Message = fmt.Sprintf("from %s: %s", source, p.Message)
	case p.Message == "is required" && len(why) > 0:
		p.Message = "could not be inferred: " + strings.Join(why, "; ")
	case p.Message == "is required":
		p.Message = "is required and nothing in the repository says it; give it"
	}
	return p
}

func titleOf(m *template.Manifest, id string) string {
	if p, ok := m.Param(id); ok {
		return p.Title
	}
	return id
}

// facts are what the repository says, read once.
type facts struct {
	org, description string
	catalog          componentFacts
	catalogWhy       string
	codeOwners       string // the team of CODEOWNERS' * line
	codeOwnersWhy    string
	adminTeams       []string
}

func readFacts(in Input) facts {
	f := facts{org: in.Org, description: strings.TrimSpace(in.Description), adminTeams: uniqueSorted(in.AdminTeams)}
	if data, ok := in.Files[catalog.FileName]; ok {
		f.catalog, f.catalogWhy = readCatalog(data, in.Name)
	} else {
		f.catalogWhy = "the repository has no " + catalog.FileName
	}
	path := codeOwnersPath(func(p string) bool { _, ok := in.Files[p]; return ok })
	if path == "" {
		f.codeOwnersWhy = "the repository has no CODEOWNERS"
	} else {
		f.codeOwners, f.codeOwnersWhy = codeOwnersTeam(in.Files[path], in.Org)
		f.codeOwnersWhy = path + " " + f.codeOwnersWhy
	}
	return f
}

// guess infers one parameter, or says why it cannot.
func (f facts) guess(id string) guess {
	switch id {
	case "owner":
		var why []string
		if f.catalog.owner != "" {
			return guess{value: f.catalog.owner, source: catalog.FileName + " spec.owner"}
		}
		why = append(why, f.catalogSays("spec.owner", f.catalog.ownerWhy))
		if f.codeOwners != "" {
			return guess{value: f.codeOwners, source: "CODEOWNERS"}
		}
		why = append(why, f.codeOwnersWhy)
		switch len(f.adminTeams) {
		case 1:
			return guess{value: f.adminTeams[0], source: "the only team with admin or maintain permission"}
		case 0:
			why = append(why, "no team has admin or maintain permission")
		default:
			why = append(why, fmt.Sprintf("%d teams have admin or maintain permission (%s)", len(f.adminTeams), strings.Join(f.adminTeams, ", ")))
		}
		return guess{why: why}
	case "description":
		if f.description != "" {
			return guess{value: f.description, source: "the repository's description"}
		}
		return guess{why: []string{"the repository has no description"}}
	case "system":
		if f.catalog.system != "" {
			return guess{value: f.catalog.system, source: catalog.FileName + " spec.system"}
		}
		return guess{why: []string{f.catalogSays("spec.system", "")}}
	case "lifecycle":
		if f.catalog.lifecycle != "" {
			return guess{value: f.catalog.lifecycle, source: catalog.FileName + " spec.lifecycle"}
		}
		return guess{why: []string{f.catalogSays("spec.lifecycle", "")}}
	}
	return guess{why: []string{"goldenpath infers only owner, description, system and lifecycle: give it"}}
}

// catalogSays explains a field the catalog did not give.
func (f facts) catalogSays(field, why string) string {
	switch {
	case f.catalogWhy != "":
		return f.catalogWhy
	case why != "":
		return catalog.FileName + " " + why
	}
	return catalog.FileName + " has no " + field
}

func uniqueSorted(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if s = strings.TrimSpace(s); s != "" && !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func quote(s string) string {
	const max = 60
	r := []rune(s)
	if len(r) > max {
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", s)
}
