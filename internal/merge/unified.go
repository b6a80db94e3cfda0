package merge

import (
	"bytes"
	"fmt"
	"sort"
)

// UnifiedDiff returns the changes from a to b as a unified diff with the
// given lines of context, in `diff -u` / `git diff` form (headers
// `--- oldName` and `+++ newName`), or "" when they are equal. It uses the
// same line diff as the merge, so what a pull request shows and what the
// merge did agree.
func UnifiedDiff(oldName, newName string, a, b []byte, context int) string {
	if bytes.Equal(a, b) {
		return ""
	}
	la, lb := splitLines(a), splitLines(b)
	changes := diffLines(la, lb)
	sort.Slice(changes, func(i, j int) bool { return changes[i].i1 < changes[j].i1 })
	var out bytes.Buffer
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	for start := 0; start < len(changes); {
		// Join changes whose context would touch into one hunk.
		end := start + 1
		for end < len(changes) && changes[end].i1-(changes[end-1].i1+changes[end-1].chg1) <= 2*context {
			end++
		}
		first, last := changes[start], changes[end-1]
		a0 := max(0, first.i1-context)
		a1 := min(len(la), last.i1+last.chg1+context)
		b0 := first.i2 - (first.i1 - a0)
		b1 := last.i2 + last.chg2 + (a1 - (last.i1 + last.chg1))
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(a0, a1-a0), hunkRange(b0, b1-b0))
		ai := a0
		for _, c := range changes[start:end] {
			for ; ai < c.i1; ai++ {
				writeLine(&out, ' ', la[ai])
			}
			for k := 0; k < c.chg1; k++ {
				writeLine(&out, '-', la[c.i1+k])
			}
			for k := 0; k < c.chg2; k++ {
				writeLine(&out, '+', lb[c.i2+k])
			}
			ai = c.i1 + c.chg1
		}
		for ; ai < a1; ai++ {
			writeLine(&out, ' ', la[ai])
		}
		start = end
	}
	return out.String()
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func writeLine(out *bytes.Buffer, mark byte, line []byte) {
	out.WriteByte(mark)
	out.Write(line)
	if !bytes.HasSuffix(line, []byte("\n")) {
		out.WriteString("\n\\ No newline at end of file\n")
	}
}
