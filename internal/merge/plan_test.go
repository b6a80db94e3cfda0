package merge

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func f(s string) FileEntry           { return FileEntry{Data: []byte(s), Mode: 0o644} }
func exe(s string) FileEntry         { return FileEntry{Data: []byte(s), Mode: 0o755} }
func one(p string, e FileEntry) Tree { return Tree{p: e} }

func TestPlanUpgradeRules(t *testing.T) {
	const p = "README.md"
	bin := "\x00\x01PNG"
	tests := []struct {
		name                string
		base, theirs, ours  Tree
		opts                Options
		path                string
		wantAction          Action
		wantData            string // "" with wantNil means no content
		wantMode            fs.FileMode
		wantConflicts       int
		wantNote            bool
		wantChange, wantDel bool
	}{
		{name: "unchanged by the template", base: one(p, f("a\n")), theirs: one(p, f("a\n")), ours: one(p, f("a\nmine\n")),
			path: p, wantAction: ActionKeep, wantData: "a\nmine\n", wantMode: 0o644},
		{name: "changed only by the template", base: one(p, f("a\n")), theirs: one(p, f("a\nnew\n")), ours: one(p, f("a\n")),
			path: p, wantAction: ActionUpdate, wantData: "a\nnew\n", wantMode: 0o644, wantChange: true},
		{name: "changed by both, apart", base: one(p, f("1\n2\n3\n4\n5\n")), theirs: one(p, f("1\n2\n3\n4\n5\nT\n")), ours: one(p, f("O\n1\n2\n3\n4\n5\n")),
			path: p, wantAction: ActionUpdate, wantData: "O\n1\n2\n3\n4\n5\nT\n", wantMode: 0o644, wantChange: true},
		{name: "changed by both, same change", base: one(p, f("a\n")), theirs: one(p, f("b\n")), ours: one(p, f("b\n")),
			path: p, wantAction: ActionKeep, wantData: "b\n", wantMode: 0o644},
		{name: "changed by both, conflict", base: one(p, f("a\nb\nc\n")), theirs: one(p, f("a\nT\nc\n")), ours: one(p, f("a\nO\nc\n")),
			opts: Options{TheirsLabel: "template v1.3.0"}, path: p, wantAction: ActionConflict,
			wantData: "a\n<<<<<<< repository\nO\n=======\nT\n>>>>>>> template v1.3.0\nc\n", wantMode: 0o644, wantConflicts: 1, wantChange: true},
		{name: "added by the template", base: Tree{}, theirs: one(p, f("new\n")), ours: Tree{},
			path: p, wantAction: ActionAdd, wantData: "new\n", wantMode: 0o644, wantChange: true},
		{name: "added by the template, repository has the same", base: Tree{}, theirs: one(p, f("x\n")), ours: one(p, f("x\n")),
			path: p, wantAction: ActionKeep, wantData: "x\n", wantMode: 0o644},
		{name: "added by the template, repository has another", base: Tree{}, theirs: one(p, f("x\n")), ours: one(p, f("y\n")),
			path: p, wantAction: ActionConflict, wantData: "<<<<<<< repository\ny\n=======\nx\n>>>>>>> template\n", wantMode: 0o644,
			wantConflicts: 1, wantNote: true, wantChange: true},
		{name: "deleted by the template, left as rendered", base: one(p, f("a\n")), theirs: Tree{}, ours: one(p, f("a\n")),
			path: p, wantAction: ActionDelete, wantDel: true},
		{name: "deleted by the template, modified by the repository", base: one(p, f("a\n")), theirs: Tree{}, ours: one(p, f("a\nb\n")),
			path: p, wantAction: ActionKeptModified, wantData: "a\nb\n", wantMode: 0o644, wantNote: true},
		{name: "deleted by the repository", base: one(p, f("a\n")), theirs: one(p, f("a\n")), ours: Tree{},
			path: p, wantAction: ActionKeepDeleted},
		{name: "deleted by the repository, changed by the template", base: one(p, f("a\n")), theirs: one(p, f("b\n")), ours: Tree{},
			path: p, wantAction: ActionKeepDeleted, wantNote: true},
		{name: "the repository's own file", base: Tree{}, theirs: Tree{}, ours: one(p, f("own\n")),
			path: p, wantAction: ActionKeep, wantData: "own\n", wantMode: 0o644},
		{name: "binary changed only by the template", base: one(p, f(bin)), theirs: one(p, f(bin+"2")), ours: one(p, f(bin)),
			path: p, wantAction: ActionUpdate, wantData: bin + "2", wantMode: 0o644, wantChange: true},
		{name: "binary changed only by the repository", base: one(p, f(bin)), theirs: one(p, f(bin)), ours: one(p, f(bin+"o")),
			path: p, wantAction: ActionKeep, wantData: bin + "o", wantMode: 0o644},
		{name: "binary changed by both", base: one(p, f(bin)), theirs: one(p, f(bin+"t")), ours: one(p, f(bin+"o")),
			path: p, wantAction: ActionConflict, wantData: bin + "o", wantMode: 0o644, wantConflicts: 1, wantNote: true},
		{name: "invalid UTF-8 is binary", base: one(p, f("a\n\xff\n")), theirs: one(p, f("a\n\xff\nt\n")), ours: one(p, f("o\na\n\xff\n")),
			path: p, wantAction: ActionConflict, wantData: "o\na\n\xff\n", wantMode: 0o644, wantConflicts: 1, wantNote: true},
		{name: "executable bit set by the template", base: one(p, f("a\n")), theirs: one(p, exe("a\n")), ours: one(p, f("a\nb\n")),
			path: p, wantAction: ActionUpdate, wantData: "a\nb\n", wantMode: 0o755, wantChange: true},
		{name: "executable bit set by the repository", base: one(p, f("a\n")), theirs: one(p, f("a\nt\n")), ours: one(p, exe("a\n")),
			path: p, wantAction: ActionUpdate, wantData: "a\nt\n", wantMode: 0o755, wantChange: true},
		{name: "skipIfExists, repository has it", base: one("docs/x.md", f("a\n")), theirs: one("docs/x.md", f("b\n")), ours: one("docs/x.md", f("mine\n")),
			opts: Options{SkipIfExists: []string{"docs/**"}}, path: "docs/x.md", wantAction: ActionSkipExists, wantData: "mine\n", wantMode: 0o644},
		{name: "skipIfExists, repository lacks it", base: Tree{}, theirs: one("docs/x.md", f("b\n")), ours: Tree{},
			opts: Options{SkipIfExists: []string{"docs/**"}}, path: "docs/x.md", wantAction: ActionAdd, wantData: "b\n", wantMode: 0o644, wantChange: true},
		{name: "migration rename carries the repository's edits", base: one("old.txt", f("1\n2\n3\n4\n")), theirs: one("new.txt", f("1\n2\n3\n4\nt\n")),
			ours: one("old.txt", f("o\n1\n2\n3\n4\n")), opts: Options{Migrations: []Migration{{Rename: []Rename{{From: "old.txt", To: "new.txt"}}}}},
			path: "new.txt", wantAction: ActionUpdate, wantData: "o\n1\n2\n3\n4\nt\n", wantMode: 0o644, wantNote: true, wantChange: true},
		{name: "migration rename removes the old path", base: one("old.txt", f("1\n")), theirs: one("new.txt", f("1\n")),
			ours: one("old.txt", f("1\n")), opts: Options{Migrations: []Migration{{Rename: []Rename{{From: "old.txt", To: "new.txt"}}}}},
			path: "old.txt", wantAction: ActionDelete, wantNote: true, wantDel: true},
		{name: "migration rename of an unchanged file adds it", base: one("old.txt", f("1\n")), theirs: one("new.txt", f("1\n")),
			ours: one("old.txt", f("1\n")), opts: Options{Migrations: []Migration{{Rename: []Rename{{From: "old.txt", To: "new.txt"}}}}},
			path: "new.txt", wantAction: ActionAdd, wantData: "1\n", wantMode: 0o644, wantNote: true, wantChange: true},
		{name: "migration rename of a file the repository deleted", base: one("old.txt", f("1\n")), theirs: one("new.txt", f("2\n")),
			ours: Tree{}, opts: Options{Migrations: []Migration{{Rename: []Rename{{From: "old.txt", To: "new.txt"}}}}},
			path: "new.txt", wantAction: ActionKeepDeleted, wantNote: true},
		{name: "migration rename onto a file the repository has", base: one("old.txt", f("1\n")), theirs: one("new.txt", f("1\n")),
			ours: Tree{"old.txt": f("1\n"), "new.txt": f("mine\n")}, opts: Options{Migrations: []Migration{{Rename: []Rename{{From: "old.txt", To: "new.txt"}}}}},
			path: "old.txt", wantAction: ActionKeep, wantData: "1\n", wantMode: 0o644, wantNote: true},
		{name: "added by the template, repository has another binary", base: Tree{}, theirs: one(p, f(bin+"t")), ours: one(p, f(bin+"o")),
			path: p, wantAction: ActionConflict, wantData: bin + "o", wantMode: 0o644, wantConflicts: 1, wantNote: true},
		{name: "added by the template, repository has it with another mode", base: Tree{}, theirs: one(p, exe("x\n")), ours: one(p, f("x\n")),
			path: p, wantAction: ActionKeep, wantData: "x\n", wantMode: 0o644},
		{name: "migration delete of an unchanged file", base: one("x", f("1\n")), theirs: Tree{}, ours: one("x", f("1\n")),
			opts: Options{Migrations: []Migration{{Delete: []string{"x"}}}}, path: "x", wantAction: ActionDelete, wantNote: true, wantDel: true},
		{name: "migration delete of a modified file", base: one("x", f("1\n")), theirs: one("x", f("1\n")), ours: one("x", f("2\n")),
			opts: Options{Migrations: []Migration{{Delete: []string{"x"}}}}, path: "x", wantAction: ActionKeptModified, wantData: "2\n", wantMode: 0o644, wantNote: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := PlanUpgrade(tt.base, tt.theirs, tt.ours, tt.opts)
			var got *FileResult
			for i := range plan.Files {
				if plan.Files[i].Path == tt.path {
					got = &plan.Files[i]
				}
			}
			if got == nil {
				t.Fatalf("no result for %s in %+v", tt.path, plan.Files)
			}
			if got.Action != tt.wantAction || string(got.Data) != tt.wantData || got.Mode != tt.wantMode || got.Conflicts != tt.wantConflicts {
				t.Errorf("got %s %q mode %v conflicts %d, want %s %q mode %v conflicts %d",
					got.Action, got.Data, got.Mode, got.Conflicts, tt.wantAction, tt.wantData, tt.wantMode, tt.wantConflicts)
			}
			if (got.Note != "") != tt.wantNote {
				t.Errorf("note %q, want a note: %v", got.Note, tt.wantNote)
			}
			change, ok := plan.Changes()[tt.path]
			switch {
			case tt.wantDel && (!ok || change != nil):
				t.Errorf("Changes()[%s] = %v, %v; want a deletion", tt.path, change, ok)
			case tt.wantChange && (!ok || change == nil || string(change.Data) != tt.wantData || change.Mode != tt.wantMode):
				t.Errorf("Changes()[%s] = %+v, %v; want %q mode %v", tt.path, change, ok, tt.wantData, tt.wantMode)
			case !tt.wantDel && !tt.wantChange && ok:
				t.Errorf("Changes()[%s] = %+v; want no change", tt.path, change)
			}
			if inConflicts := len(plan.Conflicts()) > 0; inConflicts != (tt.wantAction == ActionConflict) {
				t.Errorf("Conflicts() = %+v", plan.Conflicts())
			}
		})
	}
}

// goldenInput is testdata/plan/input.yaml: three trees and the options.
// A path ending in "*" is executable.
type goldenInput struct {
	Base, Theirs, Ours map[string]string
	SkipIfExists       []string `yaml:"skipIfExists"`
	Migrations         []struct {
		Rename []struct{ From, To string }
		Delete []string
	}
	TheirsLabel string `yaml:"theirsLabel"`
}

func toTree(m map[string]string) Tree {
	t := Tree{}
	for p, data := range m {
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(p, "*") {
			p, mode = strings.TrimSuffix(p, "*"), 0o755
		}
		t[p] = FileEntry{Data: []byte(data), Mode: mode}
	}
	return t
}

func renderPlan(p Plan) []byte {
	var b bytes.Buffer
	for _, f := range p.Files {
		fmt.Fprintf(&b, "== %s: %s", f.Path, f.Action)
		if f.Action != ActionDelete && f.Action != ActionKeepDeleted {
			fmt.Fprintf(&b, " (mode %v)", f.Mode)
		}
		if f.Conflicts > 0 {
			fmt.Fprintf(&b, " [%d conflicts]", f.Conflicts)
		}
		b.WriteString("\n")
		if f.Note != "" {
			fmt.Fprintf(&b, "note: %s\n", f.Note)
		}
		if f.Action != ActionDelete && f.Action != ActionKeepDeleted {
			b.Write(f.Data)
			if len(f.Data) > 0 && f.Data[len(f.Data)-1] != '\n' {
				b.WriteString("\n\\ no newline at end of file\n")
			}
		}
	}
	fmt.Fprintf(&b, "== changes: %d, conflicts: %d, attention: %d\n", len(p.Changes()), len(p.Conflicts()), len(p.Attention()))
	return b.Bytes()
}

func TestPlanUpgradeGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "plan", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var in goldenInput
	if err := yaml.Unmarshal(raw, &in); err != nil {
		t.Fatalf("parsing input.yaml: %v", err)
	}
	opts := Options{SkipIfExists: in.SkipIfExists, TheirsLabel: in.TheirsLabel}
	for _, m := range in.Migrations {
		var mig Migration
		for _, r := range m.Rename {
			mig.Rename = append(mig.Rename, Rename{From: r.From, To: r.To})
		}
		mig.Delete = m.Delete
		opts.Migrations = append(opts.Migrations, mig)
	}
	got := renderPlan(PlanUpgrade(toTree(in.Base), toTree(in.Theirs), toTree(in.Ours), opts))
	golden := filepath.Join("testdata", "plan", "plan.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading the golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("plan differs from %s (run with -update if the change is right):\n%s", golden, got)
	}
}

func TestPlanDoesNotModifyInputs(t *testing.T) {
	base := Tree{"a": f("1\n"), "old": f("x\n")}
	ours := Tree{"a": f("1\n"), "old": f("x\n")}
	PlanUpgrade(base, Tree{"new": f("x\n")}, ours, Options{Migrations: []Migration{{Rename: []Rename{{From: "old", To: "new"}}, Delete: []string{"a"}}}})
	if len(base) != 2 || len(ours) != 2 || base["old"].Data == nil || ours["a"].Data == nil {
		t.Errorf("inputs changed: base %v ours %v", base, ours)
	}
}
