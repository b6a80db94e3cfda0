package request

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/goldenpath-dev/goldenpath/internal/issueform"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/templatesrc"
)

// loaded is a template at its published version.
type loaded struct {
	tmpl    *template.Template
	tag     string
	version *semver.Version
}

// load reads template name at its highest published tag. A template with
// no published version, or one that does not load, is a *Problem.
func (w *Workflow) load(ctx context.Context, src *templatesrc.Repo, r *request, name string) (*loaded, error) {
	org, repo := r.ref.Org, r.ref.Repo
	v, err := src.Latest(ctx, name)
	if errors.Is(err, templatesrc.ErrNoVersion) {
		// Perhaps published a moment ago through another replica: look again.
		v, err = src.Fresh().Latest(ctx, name)
	}
	if errors.Is(err, templatesrc.ErrNoVersion) {
		return nil, noVersion(org, repo, name)
	}
	if err != nil {
		return nil, err
	}
	t, err := src.At(ctx, v.Tag)
	var broken *templatesrc.BrokenError
	if errors.As(err, &broken) {
		return nil, brokenTemplate(org, repo, name, v.Tag, broken.Err)
	}
	if err != nil {
		return nil, err
	}
	return &loaded{tmpl: t, tag: v.Tag, version: v.Version}, nil
}

// recognise finds the template whose form headings the body carries, among
// every template's highest published version. It returns nil, nil for an
// issue that is not a request: the bot stays silent on those.
func (w *Workflow) recognise(ctx context.Context, gh GitHub, r *request) (*loaded, error) {
	src := w.templates(gh, r.ref.Org)
	tags, err := src.Tags(ctx)
	if err != nil {
		return nil, err
	}
	names := templatesrc.TagNames(tags)
	templates := map[string]bool{}
	for _, t := range names {
		if n, _, ok := template.ParseTag(t); ok {
			templates[n] = true
		}
	}
	var best *loaded
	bestScore := 0
	for _, name := range sortedKeys(templates) {
		tag, v, ok := template.LatestVersion(names, name)
		if !ok {
			continue
		}
		t, err := src.At(ctx, tag)
		if errors.As(err, new(*templatesrc.BrokenError)) {
			continue // a broken version cannot be recognised
		}
		if err != nil {
			return nil, err
		}
		if !issueform.LooksLikeRequest(t.Manifest, r.body) && !issueform.LooksLikeAdoption(t.Manifest, r.body) {
			continue
		}
		// Templates share titles (every one asks for a name and an owner):
		// the form whose headings fit the body best wins.
		if score := headingScore(t.Manifest, r.body); best == nil || score > bestScore {
			best, bestScore = &loaded{tmpl: t, tag: tag, version: v}, score
		}
	}
	if best != nil {
		r.log.Info("recognised a request without its template label by its headings", "template", best.tmpl.Manifest.Name)
	}
	return best, nil
}

// headingScore counts the manifest's titles present as headings in body,
// minus those absent.
func headingScore(m *template.Manifest, body string) int {
	present := map[string]bool{}
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			present[strings.ToLower(strings.TrimSpace(h))] = true
		}
	}
	score := 0
	for _, p := range m.Parameters {
		if present[strings.ToLower(p.Title)] {
			score++
		} else {
			score--
		}
	}
	return score
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func templateFromLabels(labels []string) string {
	var names []string
	for _, l := range labels {
		if len(l) > len(TemplateLabelPfx) && strings.EqualFold(l[:len(TemplateLabelPfx)], TemplateLabelPfx) {
			names = append(names, l[len(TemplateLabelPfx):])
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}
