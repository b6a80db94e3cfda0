package merge

import (
	"bytes"
	"testing"
)

// prefixLines puts p before every line, so texts built from different
// prefixes share no line.
func prefixLines(p string, data []byte) []byte {
	var out []byte
	for _, l := range splitLines(data) {
		out = append(out, p...)
		out = append(out, l...)
	}
	return out
}

// FuzzMergeText checks that MergeText never panics and keeps both sides'
// changes when they do not meet:
//   - merge(base, ours, base) == ours and merge(base, base, theirs) == theirs;
//   - merge(base, x, x) == x;
//   - swapping the sides keeps a merge clean or conflicting, and a clean
//     merge gives the same text;
//   - with ours editing only the part above a separator line and theirs only
//     the part below, the merge is clean and holds both edits.
func FuzzMergeText(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nB\nc\n"), []byte("a\nb\nC\n"), []byte("x\n"))
	f.Add([]byte("a\nb"), []byte("a\nb\nc"), []byte(""), []byte("\n\n"))
	f.Add([]byte("}\n\n}\n"), []byte("}\n}\n"), []byte("\n}\n"), []byte("a\r\nb\r\n"))
	f.Add([]byte(""), []byte("x\n"), []byte("y\n"), []byte("z"))
	f.Fuzz(func(t *testing.T, base, ours, theirs, other []byte) {
		got, n := MergeText(base, ours, theirs, labels)
		if n < 0 {
			t.Fatalf("negative conflict count %d", n)
		}
		if n > 0 && !bytes.Contains(got, []byte("<<<<<<< repository")) {
			t.Fatalf("%d conflicts but no marker in %q", n, got)
		}

		for _, c := range []struct {
			name              string
			base, ours, their []byte
			want              []byte
		}{
			{"only ours changed", base, ours, base, ours},
			{"only theirs changed", base, base, theirs, theirs},
			{"same change on both sides", base, ours, ours, ours},
		} {
			if got, n := MergeText(c.base, c.ours, c.their, labels); n != 0 || !bytes.Equal(got, c.want) {
				t.Fatalf("%s: got %q with %d conflicts, want %q", c.name, got, n, c.want)
			}
		}

		swapped, sn := MergeText(base, theirs, ours, labels)
		if (n == 0) != (sn == 0) {
			t.Fatalf("conflicts %d one way, %d the other", n, sn)
		}
		if n == 0 && !bytes.Equal(got, swapped) {
			t.Fatalf("clean merge depends on the order of the sides: %q vs %q", got, swapped)
		}

		// Disjoint edits: the lines above the separator start with "a:",
		// the ones below with "b:", so no alignment can mix them up.
		above, below := prefixLines("a:", base), prefixLines("b:", other)
		if len(above) > 0 && above[len(above)-1] != '\n' {
			above = append(above, '\n')
		}
		sep := []byte("=== separator ===\n")
		oursAbove := prefixLines("a:", ours)
		if len(oursAbove) > 0 && oursAbove[len(oursAbove)-1] != '\n' {
			oursAbove = append(oursAbove, '\n')
		}
		theirsBelow := prefixLines("b:", theirs)
		join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
		b := join(above, sep, below)
		o := join(oursAbove, sep, below)
		th := join(above, sep, theirsBelow)
		want := join(oursAbove, sep, theirsBelow)
		if got, n := MergeText(b, o, th, labels); n != 0 || !bytes.Equal(got, want) {
			t.Fatalf("disjoint edits: got %q with %d conflicts, want %q", got, n, want)
		}
	})
}
