package adopt

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/gitobject"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// ErrAnswersFile is returned by NewPlan for a repository that already has a
// .goldenpath.yml: adoption never changes an existing file, and a recorded
// template is upgraded, not adopted (see Recorded for the reason to show).
var ErrAnswersFile = errors.New("the repository already has " + template.AnswersFileName)

// PlanInput is what an adoption plan is made from.
type PlanInput struct {
	// Rendered are the template's files rendered with the answers.
	Rendered []template.File
	// Tree is the repository: every file's path and git blob SHA (as the
	// Git trees API lists them), so no file content is needed.
	Tree map[string]string
	// AnswersFile is the .goldenpath.yml to add (template, version, source,
	// answers, and request: the adoption issue's URL).
	AnswersFile template.AnswersFile
}

// Kept is a rendered file the repository keeps as it is, though it differs.
type Kept struct {
	Path string
	// Note says why, when it is not simply "the repository has its own":
	// e.g. a file of the same name in another case, or a file in the way of
	// a folder.
	Note string
}

// Plan is what adopting a repository does: it adds what it lacks and changes
// nothing it has.
type Plan struct {
	// Add are the rendered files the repository lacks, sorted by path.
	Add []template.File
	// Kept are the rendered files the repository has in another version.
	Kept []Kept
	// Identical are the rendered files the repository already has, byte for byte.
	Identical []string
	// AnswersFile is the .goldenpath.yml the adoption adds.
	AnswersFile template.File
}

// Writes are the files the adoption commit adds: Add, then .goldenpath.yml.
func (p *Plan) Writes() []template.File {
	return append(append([]template.File{}, p.Add...), p.AnswersFile)
}

// NewPlan compares the render with the repository, by blob SHA.
func NewPlan(in PlanInput) (*Plan, error) {
	if _, ok := in.Tree[template.AnswersFileName]; ok {
		return nil, ErrAnswersFile
	}
	byFold := make(map[string]string, len(in.Tree))
	isDir := map[string]bool{}
	for p := range in.Tree {
		byFold[strings.ToLower(p)] = p
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			isDir[strings.ToLower(d)] = true
		}
	}
	files := append([]template.File{}, in.Rendered...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	plan := &Plan{AnswersFile: template.File{Path: template.AnswersFileName, Mode: 0o644, Data: in.AnswersFile.Marshal()}}
	for _, f := range files {
		if f.Path == template.AnswersFileName {
			return nil, fmt.Errorf("the template renders %s itself; goldenpath writes it", template.AnswersFileName)
		}
		sha, ok := in.Tree[f.Path]
		if !ok {
			if other, folded := byFold[strings.ToLower(f.Path)]; folded {
				plan.Kept = append(plan.Kept, Kept{Path: f.Path, Note: "the repository has " + other + " (names differing only in case collide on macOS and Windows)"})
				continue
			}
			if note := blocked(f.Path, byFold, isDir); note != "" {
				plan.Kept = append(plan.Kept, Kept{Path: f.Path, Note: note})
				continue
			}
			plan.Add = append(plan.Add, f)
			continue
		}
		if strings.EqualFold(sha, gitobject.BlobSHA(f.Data)) {
			plan.Identical = append(plan.Identical, f.Path)
		} else {
			plan.Kept = append(plan.Kept, Kept{Path: f.Path})
		}
	}
	return plan, nil
}

// blocked says why a file cannot be added at p: a file of the repository
// where p needs a folder, or a folder where p is a file.
func blocked(p string, files map[string]string, isDir map[string]bool) string {
	if isDir[strings.ToLower(p)] {
		return "not added: the repository has a folder " + p
	}
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		if other, ok := files[strings.ToLower(d)]; ok {
			return "not added: the repository has a file " + other + " where the template has a folder"
		}
	}
	return ""
}

// Recorded says why a repository whose .goldenpath.yml holds data cannot
// adopt template name: it is already on it (and gets upgrades instead), on
// another golden path, or its answers file is broken.
func Recorded(data []byte, name string) string {
	af, err := template.ParseAnswersFile(data)
	switch {
	case err != nil:
		return fmt.Sprintf("it has a %s that goldenpath cannot read (%s); fix or remove it first", template.AnswersFileName, shorten(err.Error()))
	case af.Template == name:
		return fmt.Sprintf("it is already on %s v%s (its %s says so): newer versions reach it as upgrades", name, af.Version, template.AnswersFileName)
	}
	return fmt.Sprintf("it is on another golden path, %s v%s (its %s says so)", af.Template, af.Version, template.AnswersFileName)
}
