package merge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

var labels = Labels{Ours: "repository", Base: "base", Theirs: "template v1.3.0"}

// gitMergeFile runs `git merge-file -p` and returns its output and its exit
// code, which is the number of conflicts.
func gitMergeFile(t testing.TB, git, dir string, base, ours, theirs []byte, diff3 bool) ([]byte, int) {
	t.Helper()
	files := map[string][]byte{"base": base, "ours": ours, "theirs": theirs}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args := []string{"merge-file", "-p"}
	if diff3 {
		args = append(args, "--diff3")
	}
	args = append(args, "-L", labels.Ours, "-L", labels.Base, "-L", labels.Theirs,
		filepath.Join(dir, "ours"), filepath.Join(dir, "base"), filepath.Join(dir, "theirs"))
	cmd := exec.CommandContext(ctx, git, args...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() < 0 || ee.ExitCode() > 127 {
			t.Fatalf("running git merge-file: %v: %s", err, stderr.Bytes())
		}
		code = ee.ExitCode()
	}
	return out, code
}

// genCase makes a random base and two edited versions of it. Lines come from
// a small vocabulary with common lines ("}", blank, "return nil") so that
// diffs have ambiguous alignments, the hard part of agreeing with git.
func genCase(r *rand.Rand, maxLines int) (base, ours, theirs []byte) {
	vocab := []string{"", "}", "{", "\treturn nil", "\t}", "// comment", "x", "y"}
	line := func() string {
		if r.IntN(3) == 0 {
			return vocab[r.IntN(len(vocab))]
		}
		return fmt.Sprintf("line %d", r.IntN(40))
	}
	n := r.IntN(maxLines)
	b := make([]string, n)
	for i := range b {
		b[i] = line()
	}
	type edit struct {
		pos, del int
		ins      []string
	}
	randomEdit := func(n int) edit {
		e := edit{pos: r.IntN(n + 1)}
		switch r.IntN(3) {
		case 0: // insert
		case 1: // delete
			e.del = r.IntN(3) + 1
		case 2: // replace
			e.del = r.IntN(3) + 1
		}
		e.del = min(e.del, n-e.pos)
		if e.del == 0 || r.IntN(3) > 0 {
			for range r.IntN(3) + 1 {
				e.ins = append(e.ins, line())
			}
		}
		return e
	}
	apply := func(lines []string, edits []edit) []string {
		out := append([]string(nil), lines...)
		// Apply from the highest position down so positions stay valid.
		for i := len(edits) - 1; i >= 0; i-- {
			e := edits[i]
			if e.pos > len(out) {
				continue
			}
			d := min(e.del, len(out)-e.pos)
			out = append(out[:e.pos], append(append([]string(nil), e.ins...), out[e.pos+d:]...)...)
		}
		return out
	}
	sortEdits := func(es []edit) {
		for i := 1; i < len(es); i++ {
			for j := i; j > 0 && es[j].pos < es[j-1].pos; j-- {
				es[j], es[j-1] = es[j-1], es[j]
			}
		}
	}
	var e1, e2 []edit
	for range r.IntN(4) {
		e1 = append(e1, randomEdit(n))
	}
	for range r.IntN(4) {
		e2 = append(e2, randomEdit(n))
	}
	switch r.IntN(6) {
	case 0: // the same edits on both sides
		e2 = append(e2[:0], e1...)
	case 1: // an edit right next to one of the other side
		if len(e1) > 0 {
			e := e1[0]
			e2 = append(e2, edit{pos: min(e.pos+e.del, n), del: min(1, n-min(e.pos+e.del, n)), ins: []string{line()}})
		}
	case 2: // one shared edit among others
		if len(e1) > 0 {
			e2 = append(e2, e1[0])
		}
	}
	sortEdits(e1)
	sortEdits(e2)
	join := func(lines []string) []byte {
		if len(lines) == 0 {
			return nil
		}
		s := strings.Join(lines, "\n") + "\n"
		if r.IntN(6) == 0 { // no newline at the end of the file
			s = strings.TrimSuffix(s, "\n")
		}
		return []byte(s)
	}
	return join(b), join(apply(b, e1)), join(apply(b, e2))
}

// genDense makes cases from a tiny alphabet of one-character lines, half of
// them with no letter or digit, mutated line by line on each side: many
// equal lines (git's discarding of lines with many matches, group sliding)
// and conflicts separated by punctuation (the zealous-alnum joining).
func genDense(r *rand.Rand, maxLines int) (base, ours, theirs []byte) {
	alphabet := []string{"}", "{", "", ")", ";", "a", "b", "c", "d", "e"}
	gen := func(n, k int) []byte {
		var b []byte
		for range n {
			b = append(b, alphabet[r.IntN(k)]...)
			b = append(b, '\n')
		}
		return b
	}
	rate := 6 + r.IntN(10)
	mutate := func(b []byte) []byte {
		var out []byte
		for _, l := range splitLines(b) {
			switch r.IntN(rate) {
			case 0: // delete
			case 1: // replace
				out = append(out, gen(r.IntN(3), len(alphabet))...)
			case 2: // insert after
				out = append(out, l...)
				out = append(out, fmt.Sprintf("new %d\n", r.IntN(50))...)
			default:
				out = append(out, l...)
			}
		}
		if r.IntN(8) == 0 {
			out = bytes.TrimSuffix(out, []byte("\n"))
		}
		return out
	}
	base = gen(r.IntN(maxLines), 4+r.IntN(len(alphabet)-4))
	return base, mutate(base), mutate(base)
}

// genBig makes files of thousands of lines with many edits, where xdiff
// stops looking for a minimal diff and cuts the search short: the diff must
// make the same cuts to agree with git.
func genBig(r *rand.Rand, n int) (base, ours, theirs []byte) {
	line := func() []byte {
		if r.IntN(4) == 0 {
			return []byte("}\n")
		}
		return []byte(fmt.Sprintf("l%d\n", r.IntN(n/2+1)))
	}
	var b []byte
	for range n {
		b = append(b, line()...)
	}
	mut := func(in []byte, rate int) []byte {
		var out []byte
		for _, l := range splitLines(in) {
			switch r.IntN(rate) {
			case 0:
			case 1:
				out = append(out, line()...)
			case 2:
				out = append(out, l...)
				out = append(out, line()...)
			default:
				out = append(out, l...)
			}
		}
		return out
	}
	rate := 3 + r.IntN(20)
	return b, mut(b, rate), mut(b, rate)
}

// TestDifferentialGitMergeFileLarge checks big, much-edited files, where
// xdiff's cost-cutting heuristics decide how hunks line up.
func TestDifferentialGitMergeFileLarge(t *testing.T) {
	git := testenv.Tool(t, "git")
	const cases = 60
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(5, 9))
	failures := 0
	for i := range cases {
		base, ours, theirs := genBig(r, 1000+r.IntN(2500))
		got, n := MergeText(base, ours, theirs, labels)
		want, wantN := gitMergeFile(t, git, dir, base, ours, theirs, false)
		// git's exit code stops at 127 conflicts.
		if min(n, 127) != wantN || !bytes.Equal(got, want) {
			failures++
			if failures <= 2 {
				t.Errorf("case %d: %d conflicts, git %d; outputs equal: %v", i, n, wantN, bytes.Equal(got, want))
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d large cases differ from git merge-file", failures, cases)
	}
}

// TestDifferentialGitMergeFile checks MergeText against `git merge-file` on
// generated cases: byte-identical output, conflict markers included, and
// the same number of conflicts.
func TestDifferentialGitMergeFile(t *testing.T) {
	git := testenv.Tool(t, "git")
	const cases = 2400
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	var clean, conflicted, failures int
	for i := range cases {
		base, ours, theirs := genCase(r, 25)
		if i%3 == 2 {
			base, ours, theirs = genDense(r, 60)
		}
		if i%11 == 5 { // CRLF files: conflict markers follow their line ends
			crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }
			base, ours, theirs = crlf(base), crlf(ours), crlf(theirs)
			if i%22 == 5 { // a mixed file
				ours = bytes.Replace(ours, []byte("\r\n"), []byte("\n"), 1)
			}
		}
		diff3 := i%10 == 9 // some cases with the base section shown
		l := labels
		l.ShowBase = diff3
		got, n := MergeText(base, ours, theirs, l)
		want, wantN := gitMergeFile(t, git, dir, base, ours, theirs, diff3)
		if wantN == 0 {
			clean++
		} else {
			conflicted++
		}
		if min(n, 127) != wantN || !bytes.Equal(got, want) {
			failures++
			if failures <= 5 {
				t.Errorf("case %d (diff3=%v): conflicts %d, git %d\nbase:\n%q\nours:\n%q\ntheirs:\n%q\ngot:\n%s\ngit:\n%s",
					i, diff3, n, wantN, base, ours, theirs, got, want)
			}
		}
	}
	t.Logf("%d cases: %d clean, %d with conflicts, %d differ from git", cases, clean, conflicted, failures)
	if failures > 0 {
		t.Errorf("%d of %d cases differ from git merge-file", failures, cases)
	}
	if clean < cases/5 || conflicted < cases/5 {
		t.Errorf("generator is lopsided: %d clean, %d conflicted", clean, conflicted)
	}
}

// TestDifferentialGitMergeFileBig checks merges big enough (parallelBytes)
// for their steps to run two at once.
func TestDifferentialGitMergeFileBig(t *testing.T) {
	git := testenv.Tool(t, "git")
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(11, 3))
	b1, o1, t1 := benchFiles(20000)
	b2, o2, t2 := genBig(r, 40000)
	for i, c := range [][3][]byte{{b1, o1, t1}, {b2, o2, t2}} {
		if len(c[0])+len(c[1])+len(c[2]) < parallelBytes {
			t.Fatalf("case %d is too small to be merged in parallel", i)
		}
		got, n := MergeText(c[0], c[1], c[2], labels)
		want, wantN := gitMergeFile(t, git, dir, c[0], c[1], c[2], false)
		if min(n, 127) != wantN || !bytes.Equal(got, want) {
			t.Errorf("case %d: %d conflicts, git %d; outputs equal: %v", i, n, wantN, bytes.Equal(got, want))
		}
	}
}
