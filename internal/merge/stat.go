package merge

import "bytes"

// DiffStat counts the lines a line diff from a to b adds and removes, with
// the same diff as the merge and UnifiedDiff.
func DiffStat(a, b []byte) (added, removed int) {
	if bytes.Equal(a, b) {
		return 0, 0
	}
	for _, c := range diffLines(splitLines(a), splitLines(b)) {
		added += c.chg2
		removed += c.chg1
	}
	return added, removed
}
