package adopt

import (
	"fmt"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
)

// componentFacts are the answers a catalog-info.yaml gives.
type componentFacts struct {
	owner, ownerWhy   string
	system, lifecycle string
}

// readCatalog reads the Component of a catalog-info.yaml: the one named
// like the repository, else the first. The file only has to be YAML, not a
// valid entity: each answer taken from it is validated on its own. When it
// says nothing, the string says why.
func readCatalog(data []byte, repo string) (componentFacts, string) {
	docs, err := catalog.Documents(data)
	if err != nil {
		return componentFacts{}, fmt.Sprintf("%s could not be read (%s)", catalog.FileName, shorten(err.Error()))
	}
	var comp map[string]any
	for _, d := range docs {
		e, ok := d.(map[string]any)
		if !ok || !strings.EqualFold(str(e["kind"]), "Component") {
			continue
		}
		if comp == nil {
			comp = e
		}
		if md, _ := e["metadata"].(map[string]any); strings.EqualFold(str(md["name"]), repo) {
			comp = e
			break
		}
	}
	if comp == nil {
		return componentFacts{}, catalog.FileName + " has no Component entity"
	}
	spec, _ := comp["spec"].(map[string]any)
	var f componentFacts
	switch kind, name := splitRef(str(spec["owner"])); {
	case name == "":
	case kind != "" && !strings.EqualFold(kind, "group"):
		f.ownerWhy = fmt.Sprintf("spec.owner is %s, not a group", quote(str(spec["owner"])))
	default:
		f.owner = name
	}
	if kind, name := splitRef(str(spec["system"])); kind == "" || strings.EqualFold(kind, "system") {
		f.system = name
	}
	f.lifecycle = strings.TrimSpace(str(spec["lifecycle"]))
	return f, ""
}

// splitRef splits a Backstage entity reference [kind:][namespace/]name into
// its kind and name; the namespace is dropped.
func splitRef(ref string) (kind, name string) {
	ref = strings.TrimSpace(ref)
	if k, rest, ok := strings.Cut(ref, ":"); ok {
		kind, ref = k, rest
	}
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	return kind, ref
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// codeOwnersTeam returns the first @org/team on the last `*` line of a
// CODEOWNERS file (GitHub applies the last matching rule), or says why
// there is none. Other organisations' teams, users and e-mail addresses
// are skipped.
func codeOwnersTeam(data []byte, org string) (string, string) {
	var star []string
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "*" {
			continue
		}
		star = fields[1:]
		for i, f := range star {
			if strings.HasPrefix(f, "#") { // an inline comment
				star = star[:i]
				break
			}
		}
	}
	if star == nil {
		return "", "has no * line"
	}
	for _, owner := range star {
		o, team, ok := strings.Cut(strings.TrimPrefix(owner, "@"), "/")
		if ok && strings.HasPrefix(owner, "@") && strings.EqualFold(o, org) && team != "" {
			return team, ""
		}
	}
	return "", fmt.Sprintf("names no @%s/<team> on its * line", org)
}

// shorten cuts a message for a problem line.
func shorten(s string) string {
	const max = 120
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
