// Package merge is the 3-way merge behind template upgrades: a line-based
// text merge that agrees with `git merge-file`, and the per-file plan
// (keep, update, add, delete, conflict, ...) between the old render of a
// template, its new render and the repository as it is now.
package merge

import "bytes"

// Labels name the sides in conflict markers. Ours is the repository as it
// is now, Theirs the new render ("template v1.3.0"). With ShowBase the old
// render is shown too, after "||||||| " + Base, as `git merge-file --diff3`
// does; like git, conflicts are then not refined.
type Labels struct {
	Ours, Base, Theirs string
	ShowBase           bool
}

// markerSize is git's DEFAULT_CONFLICT_MARKER_SIZE.
const markerSize = 7

// Hunk modes, as in xmerge.c.
const (
	modeConflict  = 0
	modeOurs      = 1 // the change comes from ours; ours' lines are already in place
	modeTheirs    = 2 // the change comes from theirs
	modeIdentical = 4 // a conflict whose two sides turned out equal
)

// hunk is an xdmerge_t: base lines [i0, i0+chg0), ours lines [i1, i1+chg1)
// and theirs lines [i2, i2+chg2).
type hunk struct {
	mode                         int
	i0, chg0, i1, chg1, i2, chg2 int
}

// MergeText merges the changes from base to theirs into ours, line by line,
// the way `git merge-file -p -L <ours> -L <base> -L <theirs> ours base
// theirs` does (git's zealous-alnum level). It returns the merged text and
// the number of conflict hunks written with markers.
func MergeText(base, ours, theirs []byte, labels Labels) (merged []byte, conflicts int) {
	big := len(base)+len(ours)+len(theirs) >= parallelBytes
	var b, o, t [][]byte
	both(big, func() { b = splitLines(base) }, func() { o, t = splitLines(ours), splitLines(theirs) })
	// The edited sides mostly repeat base lines: room for the base's.
	cls := newClasses(len(b) + (len(o)+len(t))/16)
	hb := cls.ofBase(b)
	var ho, ht []int
	both(big, func() { ho = cls.alignEdited(o, b, hb) }, func() { ht = cls.alignEdited(t, b, hb) })
	cls.numberNew(o, ho)
	cls.numberNew(t, ht)
	var s1, s2 []xchange
	both(big, func() { s1 = diffClassed(b, o, hb, ho, cls.n()) }, func() { s2 = diffClassed(b, t, hb, ht, cls.n()) })
	if len(s1) == 0 {
		return bytes.Clone(theirs), 0
	}
	if len(s2) == 0 {
		return bytes.Clone(ours), 0
	}
	hunks := mergeScripts(b, o, t, s1, s2)
	if !labels.ShowBase {
		hunks = refineConflicts(o, t, hunks)
		hunks = simplifyNonConflicts(o, hunks)
	}
	for _, h := range hunks {
		if h.mode == modeConflict {
			conflicts++
		}
	}
	// The result is about as long as the longer side; markers add a little.
	size := max(len(ours), len(theirs)) + 64*conflicts + 1024
	return fillMergeBuffer(b, o, t, hunks, labels, size), conflicts
}

// parallelBytes is the size of a merge's three files from which its
// independent steps (splitting, aligning and diffing each side) run two at
// once: each then costs milliseconds, far more than starting a goroutine.
const parallelBytes = 256 << 10

// both runs f and g, at once when parallel.
func both(parallel bool, f, g func()) {
	if !parallel {
		f()
		g()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		g()
	}()
	f()
	<-done
}

// appendMerge is xdl_append_merge: a hunk touching or overlapping the
// previous one joins it, as a conflict if their modes differ.
func appendMerge(hs []hunk, h hunk) []hunk {
	if n := len(hs); n > 0 {
		m := &hs[n-1]
		if h.i1 <= m.i1+m.chg1 || h.i2 <= m.i2+m.chg2 {
			if h.mode != m.mode {
				m.mode = modeConflict
			}
			m.chg0 = h.i0 + h.chg0 - m.i0
			m.chg1 = h.i1 + h.chg1 - m.i1
			m.chg2 = h.i2 + h.chg2 - m.i2
			return hs
		}
	}
	return append(hs, h)
}

func linesEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// mergeScripts walks both sides' hunks in base order (xdl_do_merge). A hunk
// of one side that ends before the other's starts is taken as it is; hunks
// that overlap or touch conflict unless they are the same change.
func mergeScripts(b, o, t [][]byte, s1, s2 []xchange) []hunk {
	var hs []hunk
	x1, x2 := 0, 0
	for x1 < len(s1) && x2 < len(s2) {
		c1, c2 := s1[x1], s2[x2]
		if c1.i1+c1.chg1 < c2.i1 {
			hs = appendMerge(hs, hunk{mode: modeOurs,
				i0: c1.i1, chg0: c1.chg1,
				i1: c1.i2, chg1: c1.chg2,
				i2: c2.i2 - c2.i1 + c1.i1, chg2: c1.chg1})
			x1++
			continue
		}
		if c2.i1+c2.chg1 < c1.i1 {
			hs = appendMerge(hs, hunk{mode: modeTheirs,
				i0: c2.i1, chg0: c2.chg1,
				i1: c1.i2 - c1.i1 + c2.i1, chg1: c2.chg1,
				i2: c2.i2, chg2: c2.chg2})
			x2++
			continue
		}
		if c1.i1 != c2.i1 || c1.chg1 != c2.chg1 || c1.chg2 != c2.chg2 ||
			!linesEqual(o[c1.i2:c1.i2+c1.chg2], t[c2.i2:c2.i2+c2.chg2]) {
			off := c1.i1 - c2.i1
			ffo := off + c1.chg1 - c2.chg1
			i0, i1, i2 := c1.i1, c1.i2, c2.i2
			if off > 0 {
				i0 -= off
				i1 -= off
			} else {
				i2 += off
			}
			chg0 := c1.i1 + c1.chg1 - i0
			chg1 := c1.i2 + c1.chg2 - i1
			chg2 := c2.i2 + c2.chg2 - i2
			if ffo < 0 {
				chg0 -= ffo
				chg1 -= ffo
			} else {
				chg2 += ffo
			}
			hs = appendMerge(hs, hunk{mode: modeConflict, i0: i0, chg0: chg0, i1: i1, chg1: chg1, i2: i2, chg2: chg2})
		}
		e1, e2 := c1.i1+c1.chg1, c2.i1+c2.chg1
		if e1 >= e2 {
			x2++
		}
		if e2 >= e1 {
			x1++
		}
	}
	for ; x1 < len(s1); x1++ {
		c1 := s1[x1]
		hs = appendMerge(hs, hunk{mode: modeOurs,
			i0: c1.i1, chg0: c1.chg1,
			i1: c1.i2, chg1: c1.chg2,
			i2: c1.i1 + len(t) - len(b), chg2: c1.chg1})
	}
	for ; x2 < len(s2); x2++ {
		c2 := s2[x2]
		hs = appendMerge(hs, hunk{mode: modeTheirs,
			i0: c2.i1, chg0: c2.chg1,
			i1: c2.i1 + len(o) - len(b), chg1: c2.chg1,
			i2: c2.i2, chg2: c2.chg2})
	}
	return hs
}

// refineConflicts is xdl_refine_conflicts (git's "zealous" level): the two
// sides of a conflict are diffed against each other, and only the lines
// that differ stay in conflict.
func refineConflicts(o, t [][]byte, hs []hunk) []hunk {
	var out []hunk
	for _, h := range hs {
		if h.mode != modeConflict || h.chg1 == 0 || h.chg2 == 0 {
			out = append(out, h)
			continue
		}
		// Conflicts are small: numbering their lines afresh costs less
		// than counting classes over the whole file for each.
		xs := diffLines(o[h.i1:h.i1+h.chg1], t[h.i2:h.i2+h.chg2])
		if len(xs) == 0 {
			h.mode = modeIdentical
			out = append(out, h)
			continue
		}
		for k, x := range xs {
			r := h
			if k > 0 {
				r = hunk{mode: modeConflict}
			}
			r.i1, r.chg1 = x.i1+h.i1, x.chg1
			r.i2, r.chg2 = x.i2+h.i2, x.chg2
			out = append(out, r)
		}
	}
	return out
}

// simplifyNonConflicts is xdl_simplify_non_conflicts at the zealous-alnum
// level: two conflicts separated by at most three lines, or by lines with
// no letter or digit, become one.
func simplifyNonConflicts(o [][]byte, hs []hunk) []hunk {
	if len(hs) == 0 {
		return hs
	}
	out := []hunk{hs[0]}
	for _, next := range hs[1:] {
		m := &out[len(out)-1]
		begin, end := m.i1+m.chg1, next.i1
		if m.mode != modeConflict || next.mode != modeConflict ||
			(end-begin > 3 && linesContainAlnum(o[begin:end])) {
			out = append(out, next)
			continue
		}
		m.chg1 = next.i1 + next.chg1 - m.i1
		m.chg2 = next.i2 + next.chg2 - m.i2
	}
	return out
}

func linesContainAlnum(lines [][]byte) bool {
	for _, l := range lines {
		for _, c := range l {
			if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				return true
			}
		}
	}
	return false
}

// isEOLCRLF is is_eol_crlf: whether line i ends in CRLF; -1 when the file
// cannot tell.
func isEOLCRLF(f [][]byte, i int) int {
	crlf := func(l []byte) int {
		if len(l) > 1 && l[len(l)-2] == '\r' {
			return 1
		}
		return 0
	}
	if i < len(f)-1 {
		return crlf(f[i])
	}
	if len(f) == 0 {
		return -1
	}
	if l := f[i]; len(l) > 0 && l[len(l)-1] == '\n' {
		return crlf(l)
	}
	if i == 0 {
		return -1
	}
	return crlf(f[i-1])
}

// crNeeded is is_cr_needed: conflict markers follow the files' line ends.
func crNeeded(b, o, t [][]byte, h hunk) bool {
	prev := func(i int) int {
		if i > 0 {
			return i - 1
		}
		return 0
	}
	n := isEOLCRLF(o, prev(h.i1))
	if n != 0 {
		n = isEOLCRLF(t, prev(h.i2))
	}
	if n != 0 {
		n = isEOLCRLF(b, 0)
	}
	return n > 0
}

// copyLines appends lines; with addNL a missing final newline is supplied
// (inside a conflict every section must end in one).
func copyLines(dst []byte, lines [][]byte, needsCR, addNL bool) []byte {
	for _, l := range lines {
		dst = append(dst, l...)
	}
	if addNL && len(lines) > 0 {
		if l := lines[len(lines)-1]; len(l) == 0 || l[len(l)-1] != '\n' {
			if needsCR {
				dst = append(dst, '\r')
			}
			dst = append(dst, '\n')
		}
	}
	return dst
}

func marker(dst []byte, c byte, name string, needsCR bool) []byte {
	dst = append(dst, bytes.Repeat([]byte{c}, markerSize)...)
	if name != "" {
		dst = append(dst, ' ')
		dst = append(dst, name...)
	}
	if needsCR {
		dst = append(dst, '\r')
	}
	return append(dst, '\n')
}

// fillMergeBuffer is xdl_fill_merge_buffer: ours is copied through, with
// theirs' hunks put in and conflicts written with markers.
func fillMergeBuffer(b, o, t [][]byte, hs []hunk, labels Labels, size int) []byte {
	out := make([]byte, 0, size)
	i := 0
	for _, h := range hs {
		switch h.mode {
		case modeConflict:
			cr := crNeeded(b, o, t, h)
			out = copyLines(out, o[i:h.i1], false, false)
			out = marker(out, '<', labels.Ours, cr)
			out = copyLines(out, o[h.i1:h.i1+h.chg1], cr, true)
			if labels.ShowBase {
				out = marker(out, '|', labels.Base, cr)
				out = copyLines(out, b[h.i0:h.i0+h.chg0], cr, true)
			}
			out = marker(out, '=', "", cr)
			out = copyLines(out, t[h.i2:h.i2+h.chg2], cr, true)
			out = marker(out, '>', labels.Theirs, cr)
		case modeOurs:
			out = copyLines(out, o[i:h.i1+h.chg1], false, false)
		case modeTheirs:
			out = copyLines(out, o[i:h.i1], false, false)
			out = copyLines(out, t[h.i2:h.i2+h.chg2], false, false)
		default:
			continue
		}
		i = h.i1 + h.chg1
	}
	return copyLines(out, o[i:], false, false)
}
