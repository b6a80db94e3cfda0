package merge

import (
	"bytes"
	"io/fs"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
)

// Tree is a set of files by slash-separated path.
type Tree map[string]FileEntry

// FileEntry is one file: its content and mode. Only the executable bit of
// the mode matters to the merge, as in git.
type FileEntry struct {
	Data []byte
	Mode fs.FileMode
}

// Action says what an upgrade does to one path.
type Action string

// The actions of a plan.
const (
	ActionKeep         Action = "keep"          // the repository's file stays as it is
	ActionUpdate       Action = "update"        // new content, merged cleanly
	ActionAdd          Action = "add"           // a file the repository does not have
	ActionDelete       Action = "delete"        // the file goes away
	ActionConflict     Action = "conflict"      // written with conflict markers, or kept for a person to merge
	ActionKeepDeleted  Action = "keep-deleted"  // deleted by the repository, stays deleted
	ActionKeptModified Action = "kept-modified" // deleted by the template, kept because the repository changed it
	ActionSkipExists   Action = "skip-exists"   // a create-once file (skipIfExists) the repository has
)

// FileResult is the plan for one path. Data and Mode are the file after
// the upgrade (empty for delete and keep-deleted); Note says why, for
// anything a person should look at.
type FileResult struct {
	Path      string
	Action    Action
	Data      []byte
	Mode      fs.FileMode
	Conflicts int
	Note      string

	unchanged bool // the repository's file is left as it is (a binary conflict)
}

// Plan is the per-file outcome of an upgrade, sorted by path.
type Plan struct {
	Files []FileResult
}

// Rename moves a path between template versions.
type Rename struct {
	From, To string
}

// Migration is a manifest's declarative step between two versions: renames
// first, then deletions.
type Migration struct {
	Rename []Rename
	Delete []string
}

// Options are the manifest options that shape an upgrade.
type Options struct {
	// SkipIfExists lists doublestar globs of create-once files: once the
	// repository has such a file, the upgrade never touches it.
	SkipIfExists []string
	// Migrations are the steps between the repository's version and the
	// new one, in order; the caller picks them.
	Migrations []Migration
	// TheirsLabel names the new render in conflict markers, e.g.
	// "template v1.3.0". Empty means "template".
	TheirsLabel string
}

// OursLabel names the repository in conflict markers.
const OursLabel = "repository"

// binarySniffLen is how much of a file git looks at for a NUL byte.
const binarySniffLen = 8000

// IsBinary reports whether data is never merged line by line: it has a NUL
// in its first 8000 bytes (git's test) or is not valid UTF-8.
func IsBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), binarySniffLen)], 0) >= 0 || !utf8.Valid(data)
}

func executable(m fs.FileMode) bool { return m&0o111 != 0 }

func sameFile(a, b FileEntry) bool {
	return bytes.Equal(a.Data, b.Data) && executable(a.Mode) == executable(b.Mode)
}

// PlanUpgrade decides, file by file, how the repository (ours) moves from
// the old render (base) to the new render (theirs) while keeping its own
// edits. The trees are not modified.
func PlanUpgrade(base, theirs, ours Tree, opts Options) Plan {
	base, ours = maps.Clone(base), maps.Clone(ours)
	label := opts.TheirsLabel
	if label == "" {
		label = "template"
	}
	results := make(map[string]FileResult)

	// Migrations act on the repository before the merge, so a renamed
	// file carries its edits to the new path and merges there.
	moved := make(map[string]string) // new path → old path
	decided := make(map[string]bool) // kept by a migration, whatever the rules say
	for _, m := range opts.Migrations {
		for _, r := range m.Rename {
			if b, ok := base[r.From]; ok {
				if _, taken := base[r.To]; !taken {
					base[r.To] = b
					delete(base, r.From)
				}
			}
			o, ok := ours[r.From]
			if !ok {
				continue
			}
			if _, taken := ours[r.To]; taken {
				results[r.From] = FileResult{Path: r.From, Action: ActionKeep, Data: o.Data, Mode: o.Mode, unchanged: true,
					Note: "a migration renames it to " + r.To + ", but the repository already has that file: kept"}
				decided[r.From] = true
				continue
			}
			ours[r.To] = o
			delete(ours, r.From)
			from := r.From
			if earlier, ok := moved[r.From]; ok {
				from = earlier
				delete(moved, r.From)
			}
			moved[r.To] = from
			results[from] = FileResult{Path: from, Action: ActionDelete, Note: "renamed to " + r.To + " by a migration"}
		}
		for _, p := range m.Delete {
			o, ok := ours[p]
			if !ok {
				continue
			}
			if b, ok := base[p]; ok && sameFile(o, b) {
				delete(ours, p)
				delete(base, p)
				results[p] = FileResult{Path: p, Action: ActionDelete, Note: "deleted by a migration"}
				continue
			}
			results[p] = FileResult{Path: p, Action: ActionKeptModified, Data: o.Data, Mode: o.Mode, unchanged: true,
				Note: "a migration deletes it, but the repository changed it: kept"}
			decided[p] = true
		}
	}

	paths := make(map[string]bool)
	for _, t := range []Tree{base, theirs, ours} {
		for p := range t {
			paths[p] = true
		}
	}
	for p := range paths {
		if decided[p] {
			continue
		}
		r := planFile(p, base, theirs, ours, opts.SkipIfExists, label)
		if r.Action == "" {
			continue // gone on both sides
		}
		if from, ok := moved[p]; ok {
			// The repository has no file at p yet: whatever the merge
			// gives must be written.
			if r.Action == ActionKeep {
				r.Action = ActionAdd
			}
			if r.Note == "" {
				r.Note = "moved from " + from + " by a migration"
			}
		}
		results[p] = r
	}

	plan := Plan{Files: make([]FileResult, 0, len(results))}
	for _, p := range slices.Sorted(maps.Keys(results)) {
		plan.Files = append(plan.Files, results[p])
	}
	return plan
}

// planFile applies the rules of issue 5 to one path.
func planFile(p string, base, theirs, ours Tree, skip []string, label string) FileResult {
	b, inBase := base[p]
	t, inTheirs := theirs[p]
	o, inOurs := ours[p]
	r := FileResult{Path: p}

	if inOurs && matchAny(skip, p) {
		r.Action, r.Data, r.Mode = ActionSkipExists, o.Data, o.Mode
		return r
	}

	switch {
	case !inOurs && !inTheirs:
		return r // deleted by both: nothing to do
	case !inOurs && !inBase:
		r.Action, r.Data, r.Mode = ActionAdd, t.Data, t.Mode
		return r
	case !inOurs:
		r.Action = ActionKeepDeleted
		if !sameFile(b, t) {
			r.Note = "deleted in the repository; the template changed it: still deleted"
		}
		return r
	case !inBase && !inTheirs:
		r.Action, r.Data, r.Mode = ActionKeep, o.Data, o.Mode // the repository's own file
		return r
	case !inTheirs:
		if sameFile(o, b) {
			r.Action = ActionDelete
			return r
		}
		r.Action, r.Data, r.Mode = ActionKeptModified, o.Data, o.Mode
		r.Note = "deleted by the template, but the repository changed it: kept"
		return r
	case !inBase:
		// Added by the template where the repository already has a file:
		// a merge against an empty base.
		// Modes: the repository's wins.
		b = FileEntry{Mode: t.Mode}
	}

	r.Mode = mergeMode(b.Mode, o.Mode, t.Mode)
	switch {
	case bytes.Equal(t.Data, b.Data) && inBase:
		r.Data = o.Data
	case bytes.Equal(o.Data, b.Data) && inBase:
		r.Data = t.Data
	case bytes.Equal(o.Data, t.Data):
		r.Data = o.Data
	case IsBinary(b.Data) || IsBinary(o.Data) || IsBinary(t.Data):
		r.Action, r.Data, r.Mode, r.Conflicts, r.unchanged = ActionConflict, o.Data, o.Mode, 1, true
		r.Note = "binary file changed by both the template and the repository: the repository's version is kept, merge it by hand"
		if !inBase {
			r.Note = "the template adds this binary file and the repository has a different one: the repository's version is kept, merge it by hand"
		}
		return r
	default:
		r.Data, r.Conflicts = MergeText(b.Data, o.Data, t.Data, Labels{Ours: OursLabel, Base: "base", Theirs: label})
	}

	switch {
	case r.Conflicts > 0:
		r.Action = ActionConflict
		if !inBase {
			r.Note = "the template adds this file and the repository has a different one"
		}
	case bytes.Equal(r.Data, o.Data) && executable(r.Mode) == executable(o.Mode):
		r.Action, r.Mode = ActionKeep, o.Mode
	default:
		r.Action = ActionUpdate
	}
	return r
}

// mergeMode merges the executable bit three ways; when both sides changed
// it differently the repository wins.
func mergeMode(b, o, t fs.FileMode) fs.FileMode {
	if executable(t) == executable(b) || executable(o) != executable(b) {
		return o
	}
	return t
}

func matchAny(globs []string, p string) bool {
	for _, g := range globs {
		if ok, err := doublestar.Match(g, p); err == nil && ok {
			return true
		}
	}
	return false
}

// Changes returns the paths the upgrade writes: the new content, or nil for
// a path to delete. Paths the upgrade leaves alone are absent, so the map is
// exactly one commit's worth of changes.
func (p Plan) Changes() map[string]*FileEntry {
	out := make(map[string]*FileEntry)
	for _, f := range p.Files {
		switch f.Action {
		case ActionUpdate, ActionAdd, ActionConflict:
			if f.unchanged {
				continue
			}
			out[f.Path] = &FileEntry{Data: f.Data, Mode: f.Mode}
		case ActionDelete:
			out[f.Path] = nil
		}
	}
	return out
}

// Conflicts returns the files with conflicts, in path order: text files
// written with conflict markers and binary files kept as the repository has
// them.
func (p Plan) Conflicts() []FileResult {
	var out []FileResult
	for _, f := range p.Files {
		if f.Action == ActionConflict {
			out = append(out, f)
		}
	}
	return out
}

// Attention returns, in path order, every file a person should look at:
// conflicts, files kept against the template (kept-modified) and files with
// a note (a deleted file the template changed, a migration that could not
// apply).
func (p Plan) Attention() []FileResult {
	var out []FileResult
	for _, f := range p.Files {
		if f.Action == ActionConflict || f.Action == ActionKeptModified || (f.Note != "" && f.Action != ActionDelete && f.Action != ActionAdd && f.Action != ActionUpdate) {
			out = append(out, f)
		}
	}
	return out
}
