package upgrade

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/upgrade/prepare"
)

// Label marks the bot's upgrade pull requests.
const Label = "goldenpath:upgrade"

// BranchPrefix starts every upgrade branch: goldenpath/upgrade-<template>.
const BranchPrefix = "goldenpath/upgrade-"

// Branch is the upgrade branch of template name.
func Branch(name string) string { return BranchPrefix + name }

// Title is the upgrade pull request's title.
func Title(name, version string) string {
	return fmt.Sprintf("Upgrade %s template to v%s", name, version)
}

// AnswersTitle is the title of a pull request that applies new answers
// without changing the version (SPEC §7).
func AnswersTitle(name, version string) string {
	return fmt.Sprintf("Apply new answers to %s (v%s)", name, version)
}

// titleOf is the title of a pull request from version from to to.
func titleOf(name string, from, to string) string {
	if from == to {
		return AnswersTitle(name, to)
	}
	return Title(name, to)
}

// Meta is the hidden metadata block of an upgrade pull request's body: what
// the bot wrote last, so a later run can tell its own commit from a
// person's and which version the pull request is for.
type Meta struct {
	Template string `json:"template"`
	From     string `json:"from"`
	To       string `json:"to"`
	Source   string `json:"source"` // owner/templates-repo
	Base     string `json:"base"`   // default-branch commit the upgrade was built on
	Commit   string `json:"commit"` // the bot's commit on the branch
	// Conflicts is how many conflicts the bot's commit has: a draft the bot
	// made for them is marked ready once an update has none.
	Conflicts int `json:"conflicts,omitempty"`
	// BaseAnswers and Set are the re-answer the pull request carries
	// (AnswersChange): a rebuild keeps them.
	BaseAnswers map[string]any `json:"base_answers,omitempty"`
	Set         map[string]any `json:"set,omitempty"`
	Reason      string         `json:"reason,omitempty"`
}

const (
	metaOpen  = "<!-- goldenpath:meta "
	metaClose = " -->"
	// RebuildMarker sits in the rebuild checkbox's line.
	RebuildMarker = "<!-- goldenpath:rebuild -->"
	// maxBody keeps under GitHub's 65,536-character body limit.
	maxBody = 60000
)

var rebuildTicked = regexp.MustCompile(`(?m)^\s*[-*]\s*\[[xX]\]\s*` + regexp.QuoteMeta(RebuildMarker))

// RebuildRequested reports whether the body's rebuild box is ticked.
func RebuildRequested(body string) bool { return rebuildTicked.MatchString(body) }

// ParseMeta reads the metadata block of a body (ok false if it has none).
func ParseMeta(body string) (Meta, bool) {
	i := strings.LastIndex(body, metaOpen)
	if i < 0 {
		return Meta{}, false
	}
	rest := body[i+len(metaOpen):]
	j := strings.Index(rest, metaClose)
	if j < 0 {
		return Meta{}, false
	}
	var m Meta
	if err := json.Unmarshal([]byte(rest[:j]), &m); err != nil || m.Template == "" || m.To == "" {
		return Meta{}, false
	}
	return m, true
}

func (m Meta) block() string {
	b, _ := json.Marshal(m) // plain strings: cannot fail
	// "-->" cannot occur in the JSON of these fields except through a
	// hostile template name, which ParseTag refuses; escape anyway.
	return metaOpen + strings.ReplaceAll(string(b), "--", `-\u002d`) + metaClose
}

// bodyInput is what a pull request body says.
type bodyInput struct {
	Meta      Meta
	Changelog string
	Plan      merge.Plan
	Answers   []answerChange // the answers the pull request changes
}

var actionWords = map[merge.Action]string{
	merge.ActionUpdate:       "updated",
	merge.ActionAdd:          "added",
	merge.ActionDelete:       "deleted",
	merge.ActionConflict:     "**conflict**",
	merge.ActionKeptModified: "kept (changed here, deleted by the template)",
	merge.ActionKeepDeleted:  "still deleted",
	merge.ActionKeep:         "kept",
	merge.ActionSkipExists:   "kept (create-once file)",
}

// renderBody writes the pull request's description.
func renderBody(in bodyInput) string {
	m := in.Meta
	var b strings.Builder
	if m.From == m.To {
		writeAnswersIntro(&b, m, in.Answers)
	} else {
		fmt.Fprintf(&b, "This pull request upgrades this repository from version **%s** to **%s** of the golden path template `%s` (from `%s`). ",
			m.From, m.To, m.Template, m.Source)
		b.WriteString("The template's changes are merged three ways (the old version rendered with this repository's answers, the new version rendered the same way, and this repository as it is), so changes made here are kept. `" + template.AnswersFileName + "` moves to the new version.\n\n")
		writeAnswers(&b, m, in.Answers)
	}

	conflicts := in.Plan.Conflicts()
	if len(conflicts) > 0 {
		fmt.Fprintf(&b, "### ⚠️ %d file%s with conflicts\n\n", len(conflicts), plural(len(conflicts)))
		b.WriteString("This repository and the template both changed the same lines of these files:\n\n")
		for _, f := range conflicts {
			if f.Note != "" && f.Conflicts == 1 && merge.IsBinary(f.Data) {
				fmt.Fprintf(&b, "- `%s`: %s\n", f.Path, f.Note)
				continue
			}
			fmt.Fprintf(&b, "- `%s` (%d conflict%s)", f.Path, f.Conflicts, plural(f.Conflicts))
			if f.Note != "" {
				fmt.Fprintf(&b, ": %s", f.Note)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "\nTo finish the upgrade: check out `%s`, look for the markers `<<<<<<< %s`, `=======` and `>>>>>>> %s`, keep what each file needs, remove the markers and push. Once you push, goldenpath stops updating this branch; a newer template version will not overwrite your work.\n\n",
			Branch(m.Template), merge.OursLabel, prepare.Label(mustVersion(m.To)))
	}

	if cl := strings.TrimSpace(in.Changelog); cl != "" {
		b.WriteString("### What changed in the template\n\n")
		cl = truncate(cl, 20000)
		for _, line := range strings.Split(cl, "\n") {
			b.WriteString(strings.TrimRight("> "+line, " ") + "\n")
		}
		b.WriteString("\n")
	}

	var rows []string
	for _, f := range in.Plan.Files {
		word, ok := actionWords[f.Action]
		if !ok || ((f.Action == merge.ActionKeep || f.Action == merge.ActionKeepDeleted || f.Action == merge.ActionSkipExists) && f.Note == "") {
			continue
		}
		note := f.Note
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %s |", f.Path, word, strings.ReplaceAll(note, "|", "\\|")))
	}
	if m.From != m.To || len(m.Set) > 0 {
		rows = append(rows, fmt.Sprintf("| `%s` | updated | version %s |", template.AnswersFileName, m.To))
	}
	b.WriteString("### Files\n\n| File | Change | Note |\n|---|---|---|\n")
	for i, r := range rows {
		if b.Len() > maxBody-3000 {
			fmt.Fprintf(&b, "| … | %d more | |\n", len(rows)-i)
			break
		}
		b.WriteString(r + "\n")
	}

	b.WriteString("\n---\n\n")
	b.WriteString("- [ ] " + RebuildMarker + " Rebuild this branch: tick to throw away every commit on it and rebuild the upgrade from the default branch.\n\n")
	b.WriteString("<sub>Closing this pull request without merging skips this version; the next version opens a new one.</sub>\n\n")
	b.WriteString(m.block() + "\n")
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndex(s[:n], "\n")
	if cut < 0 {
		cut = n
	}
	return s[:cut] + "\n\n(…the rest of the changelog is in the templates repository)"
}
