// Package drift tells which files of a generated repository differ from
// the render of the template version and answers its .goldenpath.yml
// records. It compares git blob ids, so a repository's tree listing is all
// it needs to read; the content of a drifted file is only needed to
// summarise the difference.
package drift

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/goldenpath-dev/goldenpath/internal/gitobject"
	"github.com/goldenpath-dev/goldenpath/internal/merge"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Blob is one rendered file: its git blob id and its bytes.
type Blob struct {
	ID   string
	Data []byte
}

// BlobID is the id git gives a blob holding data (`git hash-object`), as a
// repository's tree lists it.
func BlobID(data []byte) string { return gitobject.BlobSHA(data) }

// Expected renders t with the answers of af and returns, by path, the files
// a repository made from it holds as rendered: every rendered file except
// the create-once files (the manifest's skipIfExists, meant to be edited)
// and the answers file. org is the repository's account. The render stops
// once ctx is done.
func Expected(ctx context.Context, t *template.Template, af template.AnswersFile, org string) (map[string]Blob, error) {
	answers, err := t.Manifest.Validate(af.Answers)
	if err != nil {
		return nil, fmt.Errorf("checking the answers of %s against %s v%s: %w", template.AnswersFileName, af.Template, af.Version, err)
	}
	files, err := template.RenderCtx(ctx, t, answers, template.RenderContext{Org: org})
	if err != nil {
		return nil, fmt.Errorf("rendering %s v%s: %w", af.Template, af.Version, err)
	}
	want := make(map[string]Blob, len(files))
	for _, f := range files {
		if f.Path == template.AnswersFileName || createOnce(t.Manifest.Options.SkipIfExists, f.Path) {
			continue
		}
		want[f.Path] = Blob{ID: BlobID(f.Data), Data: f.Data}
	}
	return want, nil
}

func createOnce(globs []string, p string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
	}
	return false
}

// Compare returns, sorted, the paths of want whose blob id differs from the
// one have lists (path → blob id), or that have lacks.
func Compare(want map[string]Blob, have map[string]string) []string {
	var out []string
	for p, b := range want {
		if have[p] != b.ID {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// File is one drifted file.
type File struct {
	Path string
	// Missing: the repository lacks the file.
	Missing bool
	// Added and Removed count the lines the repository's file adds to and
	// removes from the render.
	Added, Removed int
}

// Describe says how the repository's file (have; nil when it lacks it)
// differs from the render (want).
func Describe(path string, want, have []byte) File {
	if have == nil {
		return File{Path: path, Missing: true}
	}
	add, rem := merge.DiffStat(want, have)
	return File{Path: path, Added: add, Removed: rem}
}

// Summary is the one-line account of f: "missing", "+3 -1 lines".
func (f File) Summary() string {
	switch {
	case f.Missing:
		return "missing (the golden path renders it)"
	case f.Added == 0 && f.Removed == 0:
		return "differs from the golden path"
	}
	var parts []string
	if f.Added > 0 {
		parts = append(parts, fmt.Sprintf("%d line%s added", f.Added, plural(f.Added)))
	}
	if f.Removed > 0 {
		parts = append(parts, fmt.Sprintf("%d line%s removed", f.Removed, plural(f.Removed)))
	}
	return strings.Join(parts, ", ") + " against the golden path"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
