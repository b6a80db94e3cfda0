package upgrade

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/mdtext"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// answersPlan is the answers side of one pull request (SPEC §7): what the
// default branch's files were rendered with, and what the pull request
// changes in .goldenpath.yml. Zero for a plain upgrade.
type answersPlan struct {
	base   map[string]any // nil: the answers of the default branch's .goldenpath.yml
	set    map[string]any
	reason string
}

// planAnswers combines the re-answer an open pull request already carries
// (its metadata; a rebuild keeps it) with the job's. The pull request's base
// wins: while it is open, the default branch's files are still those its
// base rendered.
func planAnswers(job *AnswersChange, meta *Meta) answersPlan {
	var p answersPlan
	if meta != nil {
		p.base, p.set, p.reason = meta.BaseAnswers, maps.Clone(meta.Set), meta.Reason
	}
	if job != nil {
		if p.base == nil {
			p.base = job.Base
		}
		if len(job.Set) > 0 && p.set == nil {
			p.set = map[string]any{}
		}
		maps.Copy(p.set, job.Set)
		if job.Reason != "" {
			p.reason = job.Reason
		}
	}
	return p
}

// apply returns af with the plan's answers set.
func (p answersPlan) apply(af template.AnswersFile) template.AnswersFile {
	if len(p.set) == 0 {
		return af
	}
	out := maps.Clone(af.Answers)
	if out == nil {
		out = template.Answers{}
	}
	maps.Copy(out, p.set)
	af.Answers = out
	return af
}

// answerChange is one answer a pull request changes, for its body.
type answerChange struct {
	ID, From, To string
}

// changedAnswers lists, by id, the answers that differ between base and next.
func changedAnswers(base, next map[string]any) []answerChange {
	var out []answerChange
	for _, id := range slices.Sorted(maps.Keys(next)) {
		if old, ok := base[id]; !ok || !reflect.DeepEqual(old, next[id]) {
			out = append(out, answerChange{ID: id, From: showAnswer(base[id]), To: showAnswer(next[id])})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(base)) {
		if _, ok := next[id]; !ok {
			out = append(out, answerChange{ID: id, From: showAnswer(base[id]), To: "(none)"})
		}
	}
	return out
}

func showAnswer(v any) string {
	switch v := v.(type) {
	case nil:
		return "(none)"
	case []string:
		return strings.Join(v, ", ")
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// writeAnswersIntro opens the body of a pull request that only applies new
// answers.
func writeAnswersIntro(b *strings.Builder, m Meta, changed []answerChange) {
	fmt.Fprintf(b, "This pull request applies new answers to this repository's golden path template `%s` (version **%s**, from `%s`). ", m.Template, m.To, m.Source)
	b.WriteString("The template rendered with the previous answers, the template rendered with the new ones and this repository as it is are merged three ways, so `catalog-info.yaml`, `CODEOWNERS` and every other rendered file follow while changes made here are kept.\n\n")
	writeAnswers(b, m, changed)
}

// writeAnswers lists the answers a pull request changes, and why.
func writeAnswers(b *strings.Builder, m Meta, changed []answerChange) {
	if len(changed) == 0 && m.Reason == "" {
		return
	}
	b.WriteString("### New answers\n\n")
	if m.Reason != "" {
		b.WriteString(m.Reason + "\n\n")
	}
	if len(changed) > 0 {
		b.WriteString("| Answer | Was | Now |\n|---|---|---|\n")
		for _, c := range changed {
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", c.ID, cell(c.From), cell(c.To))
		}
		b.WriteString("\n")
	}
}

// cell quotes an answer in a table cell: no table breaks, mentions or
// markup.
func cell(s string) string {
	return mdtext.Code(mdtext.Cut(strings.Join(strings.Fields(s), " "), 200))
}
