package merge

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// benchFiles is an upgrade as the bot sees one: a file of n lines that the
// repository's owners edited here and there (a line changed every 97 lines,
// one added every 211) and the template changed elsewhere (a line every 89,
// one removed every 307), with a few edits both made alike.
func benchFiles(n int) (base, ours, theirs []byte) {
	var b, o, t bytes.Buffer
	for i := range n {
		line := fmt.Sprintf("\tfield%d := compute(%d, \"value %d\") // line %d\n", i%37, i, i*7, i)
		b.WriteString(line)
		switch {
		case i%97 == 5:
			fmt.Fprintf(&o, "\tfield%d := changedByOwners(%d)\n", i%37, i)
		case i%211 == 9:
			o.WriteString(line)
			o.WriteString("\t// added by the owners\n")
		default:
			o.WriteString(line)
		}
		switch {
		case i%89 == 40:
			fmt.Fprintf(&t, "\tfield%d := changedByTemplate(%d)\n", i%37, i)
		case i%307 == 100:
		default:
			t.WriteString(line)
		}
	}
	return b.Bytes(), o.Bytes(), t.Bytes()
}

// BenchmarkMerge times the 3-way merge at 10, 1,000 and 50,000 lines against
// spawning `git merge-file` on the same files (what bench/run compares):
//
//	go test -run '^$' -bench 'Merge$' ./internal/merge
func BenchmarkMerge(b *testing.B) {
	for _, n := range []int{10, 1000, 50000} {
		base, ours, theirs := benchFiles(n)
		b.Run(fmt.Sprintf("lines=%d/impl=goldenpath", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(ours)))
			for b.Loop() {
				MergeText(base, ours, theirs, labels)
			}
		})
		b.Run(fmt.Sprintf("lines=%d/impl=git-merge-file", n), func(b *testing.B) {
			git := testenv.Tool(b, "git")
			dir := b.TempDir()
			want, _ := MergeText(base, ours, theirs, labels)
			b.SetBytes(int64(len(ours)))
			for b.Loop() {
				got, _ := gitMergeFile(b, git, dir, base, ours, theirs, false)
				if !bytes.Equal(got, want) {
					b.Fatal("git merge-file and MergeText disagree")
				}
			}
		})
	}
}
