package merge

import (
	"bytes"
	"math"
)

// This file is a line diff that makes the same choices as git's xdiff
// (xdiffi.c, xprepare.c) with no flags set, which is what `git merge-file`
// uses: the same trimming of common ends, the same discarding of lines that
// cannot match, the same Myers middle-snake split and its tie-breaks, and the
// same sliding of change groups (xdl_change_compact). A merge agrees with git
// only if both sides' diffs line up the hunks the way git's do, so the shape
// of the code follows xdiff closely on purpose.
//
// Like xdiff, it gives up on a minimal diff when the edit cost passes
// max(256, ~sqrt(N)) and takes the same heuristic split, so the cost stays
// bounded on big, very different files and the hunks still match git's.

// xfile is one side of a diff: its lines, their equivalence classes and
// which of them are changed. chg has a false sentinel on both ends.
type xfile struct {
	recs [][]byte
	ha   []int  // equivalence class of each line
	chg  []bool // chg[i+1] reports whether line i is changed
	// The lines kept for the Myers pass after discarding (xdl_cleanup_records).
	rha    []int
	rindex []int
}

func (f *xfile) changed(i int) bool { return f.chg[i+1] }
func (f *xfile) set(i int, v bool)  { f.chg[i+1] = v }
func (f *xfile) n() int             { return len(f.recs) }

// xchange is one hunk: lines [i1, i1+chg1) of the first file replaced by
// lines [i2, i2+chg2) of the second.
type xchange struct{ i1, i2, chg1, chg2 int }

// splitLines cuts data after every '\n'; the last line may lack one.
func splitLines(data []byte) [][]byte {
	recs := make([][]byte, 0, bytes.Count(data, []byte{'\n'})+1)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n') + 1
		if i == 0 {
			i = len(data)
		}
		recs = append(recs, data[:i:i])
		data = data[i:]
	}
	return recs
}

// bogosqrt is xdl_bogosqrt: a power of two near sqrt(n).
func bogosqrt(n int) int {
	i := 1
	for ; n > 0; n >>= 2 {
		i <<= 1
	}
	return i
}

const (
	maxEqLimit    = 1024 // XDL_MAX_EQLIMIT
	simscanWindow = 100  // XDL_SIMSCAN_WINDOW
	kpdisRun      = 4    // XDL_KPDIS_RUN
	maxCostMin    = 256  // XDL_MAX_COST_MIN
	heurMinCost   = 256  // XDL_HEUR_MIN_COST
	snakeCnt      = 20   // XDL_SNAKE_CNT
	kHeur         = 4    // XDL_K_HEUR
)

// diffLines diffs a against b and returns the hunks after git's compaction.
func diffLines(a, b [][]byte) []xchange {
	c := newClasses(len(a) + len(b))
	return diffClassed(a, b, c.of(a), c.of(b), c.n())
}

// diffClassed is diffLines for lines already numbered by one classes (ha
// and hb, nclass numbers in all).
func diffClassed(a, b [][]byte, ha, hb []int, nclass int) []xchange {
	f1, f2 := doDiff(a, b, ha, hb, nclass)
	changeCompact(f1, f2)
	changeCompact(f2, f1)
	return buildScript(f1, f2)
}

func doDiff(a, b [][]byte, ha, hb []int, nclass int) (*xfile, *xfile) {
	f1 := &xfile{recs: a, ha: ha, chg: make([]bool, len(a)+2)}
	f2 := &xfile{recs: b, ha: hb, chg: make([]bool, len(b)+2)}
	// How often each class occurs on each side.
	len1, len2 := make([]int, nclass), make([]int, nclass)
	for _, c := range ha {
		len1[c]++
	}
	for _, c := range hb {
		len2[c]++
	}

	// xdl_trim_ends: common head and tail lines are never changed.
	lim := min(f1.n(), f2.n())
	start := 0
	for start < lim && f1.ha[start] == f2.ha[start] {
		start++
	}
	tail := 0
	for tail < lim-start && f1.ha[f1.n()-1-tail] == f2.ha[f2.n()-1-tail] {
		tail++
	}
	end1, end2 := f1.n()-tail-1, f2.n()-tail-1

	// xdl_cleanup_records: lines with no match on the other side are
	// changed for sure; lines with very many matches are dropped when they
	// sit among such lines.
	dis1 := discards(f1, start, end1, len2)
	dis2 := discards(f2, start, end2, len1)
	keep(f1, dis1, start, end1)
	keep(f2, dis2, start, end2)

	n1, n2 := len(f1.rha), len(f2.rha)
	kvdf := make([]int, n1+n2+3)
	kvdb := make([]int, n1+n2+3)
	mxcost := max(bogosqrt(n1+n2+3), maxCostMin)
	recsCmp(f1, 0, n1, f2, 0, n2, kvdf, kvdb, n2+1, false, mxcost)
	return f1, f2
}

func discards(f *xfile, start, end int, other []int) []byte {
	dis := make([]byte, f.n()+1)
	mlim := min(bogosqrt(f.n()), maxEqLimit)
	for i := start; i <= end; i++ {
		nm := other[f.ha[i]]
		switch {
		case nm == 0:
			dis[i] = 0
		case nm >= mlim:
			dis[i] = 2
		default:
			dis[i] = 1
		}
	}
	return dis
}

func keep(f *xfile, dis []byte, start, end int) {
	f.rindex = make([]int, 0, max(0, end-start+1))
	f.rha = make([]int, 0, max(0, end-start+1))
	for i := start; i <= end; i++ {
		if dis[i] == 1 || (dis[i] == 2 && !cleanMmatch(dis, i, start, end)) {
			f.rindex = append(f.rindex, i)
			f.rha = append(f.rha, f.ha[i])
		} else {
			f.set(i, true)
		}
	}
}

// cleanMmatch is xdl_clean_mmatch: a many-match line is discarded only in
// the middle of a run of no-match lines.
func cleanMmatch(dis []byte, i, s, e int) bool {
	if i-s > simscanWindow {
		s = i - simscanWindow
	}
	if e-i > simscanWindow {
		e = i + simscanWindow
	}
	rdis0, rpdis0 := 0, 1
	for r := 1; i-r >= s; r++ {
		if dis[i-r] == 0 {
			rdis0++
		} else if dis[i-r] == 2 {
			rpdis0++
		} else {
			break
		}
	}
	if rdis0 == 0 {
		return false
	}
	rdis1, rpdis1 := 0, 1
	for r := 1; i+r <= e; r++ {
		if dis[i+r] == 0 {
			rdis1++
		} else if dis[i+r] == 2 {
			rpdis1++
		} else {
			break
		}
	}
	if rdis1 == 0 {
		return false
	}
	rdis1 += rdis0
	rpdis1 += rpdis0
	return rpdis1*kpdisRun < rpdis1+rdis1
}

// recsCmp is xdl_recs_cmp: shrink the box by its common ends, then split
// at the middle snake and recurse.
func recsCmp(f1 *xfile, off1, lim1 int, f2 *xfile, off2, lim2 int, kvdf, kvdb []int, koff int, needMin bool, mxcost int) {
	ha1, ha2 := f1.rha, f2.rha
	for off1 < lim1 && off2 < lim2 && ha1[off1] == ha2[off2] {
		off1++
		off2++
	}
	for off1 < lim1 && off2 < lim2 && ha1[lim1-1] == ha2[lim2-1] {
		lim1--
		lim2--
	}
	switch {
	case off1 == lim1:
		for ; off2 < lim2; off2++ {
			f2.set(f2.rindex[off2], true)
		}
	case off2 == lim2:
		for ; off1 < lim1; off1++ {
			f1.set(f1.rindex[off1], true)
		}
	default:
		sp := split(ha1, off1, lim1, ha2, off2, lim2, kvdf, kvdb, koff, needMin, mxcost)
		recsCmp(f1, off1, sp.i1, f2, off2, sp.i2, kvdf, kvdb, koff, sp.minLo, mxcost)
		recsCmp(f1, sp.i1, lim1, f2, sp.i2, lim2, kvdf, kvdb, koff, sp.minHi, mxcost)
	}
}

// splitPoint is where split cuts the box; minLo and minHi say whether the
// halves must be diffed minimally (xdpsplit_t).
type splitPoint struct {
	i1, i2       int
	minLo, minHi bool
}

// split is xdl_split: it finds the middle snake of the box, searching
// forward and backward in turns. kvdf[d+koff] is the furthest i1 reached on
// diagonal d = i1-i2. Unless needMin, an expensive search is cut short the
// way xdiff does it (a long snake far along, or the furthest-reaching path
// once the cost passes mxcost), so big diffs line up as git's do.
func split(ha1 []int, off1, lim1 int, ha2 []int, off2, lim2 int, kvdf, kvdb []int, koff int, needMin bool, mxcost int) splitPoint {
	fmid, bmid := off1-off2, lim1-lim2
	b := &splitBox{
		ha1: ha1, ha2: ha2, off1: off1, lim1: lim1, off2: off2, lim2: lim2,
		kvdf: kvdf, kvdb: kvdb, koff: koff,
		dmin: off1 - lim2, dmax: lim1 - off2,
		fmid: fmid, bmid: bmid, odd: (fmid-bmid)&1 != 0,
		fmin: fmid, fmax: fmid, bmin: bmid, bmax: bmid,
	}
	kvdf[fmid+koff] = off1
	kvdb[bmid+koff] = lim1
	for ec := 1; ; ec++ {
		fsp, met, fsnake := b.forward()
		if met {
			return fsp
		}
		bsp, met, bsnake := b.backward()
		if met {
			return bsp
		}
		gotSnake := fsnake || bsnake

		if needMin {
			continue
		}

		// A long snake well along a diagonal is taken as the split.
		if gotSnake && ec > heurMinCost {
			if sp, ok := b.heuristic(ec); ok {
				return sp
			}
		}

		// Too expensive: take the furthest-reaching path.
		if ec >= mxcost {
			return b.furthest()
		}
	}
}

// splitBox is split's search state: the box, the furthest points reached
// forward (kvdf) and backward (kvdb) per diagonal, and the diagonal ranges
// each search covers so far. Its fields keep xdl_split's names.
type splitBox struct {
	ha1, ha2               []int
	off1, lim1, off2, lim2 int
	kvdf, kvdb             []int
	koff                   int
	dmin, dmax             int
	fmid, bmid             int
	odd                    bool
	fmin, fmax, bmin, bmax int
}

// forward extends the forward search by one cost. It returns the split when
// it meets the backward search, and whether it followed a long snake.
func (b *splitBox) forward() (splitPoint, bool, bool) {
	ha1, ha2, kvdf, kvdb, koff := b.ha1, b.ha2, b.kvdf, b.kvdb, b.koff
	gotSnake := false
	if b.fmin > b.dmin {
		b.fmin--
		kvdf[b.fmin-1+koff] = -1
	} else {
		b.fmin++
	}
	if b.fmax < b.dmax {
		b.fmax++
		kvdf[b.fmax+1+koff] = -1
	} else {
		b.fmax--
	}
	for d := b.fmax; d >= b.fmin; d -= 2 {
		var i1 int
		if kvdf[d-1+koff] >= kvdf[d+1+koff] {
			i1 = kvdf[d-1+koff] + 1
		} else {
			i1 = kvdf[d+1+koff]
		}
		prev1 := i1
		i2 := i1 - d
		for i1 < b.lim1 && i2 < b.lim2 && ha1[i1] == ha2[i2] {
			i1++
			i2++
		}
		if i1-prev1 > snakeCnt {
			gotSnake = true
		}
		kvdf[d+koff] = i1
		if b.odd && b.bmin <= d && d <= b.bmax && kvdb[d+koff] <= i1 {
			return splitPoint{i1, i2, true, true}, true, gotSnake
		}
	}
	return splitPoint{}, false, gotSnake
}

// backward extends the backward search by one cost. It returns the split
// when it meets the forward search, and whether it followed a long snake.
func (b *splitBox) backward() (splitPoint, bool, bool) {
	ha1, ha2, kvdf, kvdb, koff := b.ha1, b.ha2, b.kvdf, b.kvdb, b.koff
	gotSnake := false
	if b.bmin > b.dmin {
		b.bmin--
		kvdb[b.bmin-1+koff] = math.MaxInt
	} else {
		b.bmin++
	}
	if b.bmax < b.dmax {
		b.bmax++
		kvdb[b.bmax+1+koff] = math.MaxInt
	} else {
		b.bmax--
	}
	for d := b.bmax; d >= b.bmin; d -= 2 {
		var i1 int
		if kvdb[d-1+koff] < kvdb[d+1+koff] {
			i1 = kvdb[d-1+koff]
		} else {
			i1 = kvdb[d+1+koff] - 1
		}
		prev1 := i1
		i2 := i1 - d
		for i1 > b.off1 && i2 > b.off2 && ha1[i1-1] == ha2[i2-1] {
			i1--
			i2--
		}
		if prev1-i1 > snakeCnt {
			gotSnake = true
		}
		kvdb[d+koff] = i1
		if !b.odd && b.fmin <= d && d <= b.fmax && i1 <= kvdf[d+koff] {
			return splitPoint{i1, i2, true, true}, true, gotSnake
		}
	}
	return splitPoint{}, false, gotSnake
}

// heuristic looks, at cost ec, for a diagonal whose forward (then backward)
// path ends in a snake of snakeCnt and has gone far enough to be taken as
// the split, the way xdiff cuts a costly search short.
func (b *splitBox) heuristic(ec int) (splitPoint, bool) {
	ha1, ha2, kvdf, kvdb, koff := b.ha1, b.ha2, b.kvdf, b.kvdb, b.koff
	off1, lim1, off2, lim2 := b.off1, b.lim1, b.off2, b.lim2
	best, sp := 0, splitPoint{}
	for d := b.fmax; d >= b.fmin; d -= 2 {
		dd := abs(d - b.fmid)
		i1 := kvdf[d+koff]
		i2 := i1 - d
		v := (i1 - off1) + (i2 - off2) - dd
		if v > kHeur*ec && v > best &&
			off1+snakeCnt <= i1 && i1 < lim1 &&
			off2+snakeCnt <= i2 && i2 < lim2 {
			for k := 1; ha1[i1-k] == ha2[i2-k]; k++ {
				if k == snakeCnt {
					best, sp = v, splitPoint{i1: i1, i2: i2}
					break
				}
			}
		}
	}
	if best > 0 {
		sp.minLo, sp.minHi = true, false
		return sp, true
	}
	for d := b.bmax; d >= b.bmin; d -= 2 {
		dd := abs(d - b.bmid)
		i1 := kvdb[d+koff]
		i2 := i1 - d
		v := (lim1 - i1) + (lim2 - i2) - dd
		if v > kHeur*ec && v > best &&
			off1 < i1 && i1 <= lim1-snakeCnt &&
			off2 < i2 && i2 <= lim2-snakeCnt {
			for k := 0; ha1[i1+k] == ha2[i2+k]; k++ {
				if k == snakeCnt-1 {
					best, sp = v, splitPoint{i1: i1, i2: i2}
					break
				}
			}
		}
	}
	if best > 0 {
		sp.minLo, sp.minHi = false, true
		return sp, true
	}
	return splitPoint{}, false
}

// furthest gives up on the middle snake once the cost passes mxcost: it
// splits at the furthest-reaching forward or backward path, whichever got
// further.
func (b *splitBox) furthest() splitPoint {
	kvdf, kvdb, koff := b.kvdf, b.kvdb, b.koff
	off1, lim1, off2, lim2 := b.off1, b.lim1, b.off2, b.lim2
	fbest, fbest1 := -1, -1
	for d := b.fmax; d >= b.fmin; d -= 2 {
		i1 := min(kvdf[d+koff], lim1)
		i2 := i1 - d
		if lim2 < i2 {
			i1, i2 = lim2+d, lim2
		}
		if fbest < i1+i2 {
			fbest, fbest1 = i1+i2, i1
		}
	}
	bbest, bbest1 := math.MaxInt, math.MaxInt
	for d := b.bmax; d >= b.bmin; d -= 2 {
		i1 := max(off1, kvdb[d+koff])
		i2 := i1 - d
		if i2 < off2 {
			i1, i2 = off2+d, off2
		}
		if i1+i2 < bbest {
			bbest, bbest1 = i1+i2, i1
		}
	}
	if (lim1+lim2)-bbest < fbest-(off1+off2) {
		return splitPoint{fbest1, fbest - fbest1, true, false}
	}
	return splitPoint{bbest1, bbest - bbest1, false, true}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// group is a run [start, end) of changed lines; empty between two lines.
type group struct{ start, end int }

func groupInit(f *xfile) group {
	g := group{}
	for f.changed(g.end) {
		g.end++
	}
	return g
}

func groupNext(f *xfile, g *group) bool {
	if g.end == f.n() {
		return false
	}
	g.start = g.end + 1
	g.end = g.start
	for f.changed(g.end) {
		g.end++
	}
	return true
}

func groupPrevious(f *xfile, g *group) bool {
	if g.start == 0 {
		return false
	}
	g.end = g.start - 1
	g.start = g.end
	for f.changed(g.start - 1) {
		g.start--
	}
	return true
}

func groupSlideDown(f *xfile, g *group) bool {
	if g.end < f.n() && f.ha[g.start] == f.ha[g.end] {
		f.set(g.start, false)
		g.start++
		f.set(g.end, true)
		g.end++
		for f.changed(g.end) {
			g.end++
		}
		return true
	}
	return false
}

func groupSlideUp(f *xfile, g *group) bool {
	if g.start > 0 && f.ha[g.start-1] == f.ha[g.end-1] {
		g.start--
		f.set(g.start, true)
		g.end--
		f.set(g.end, false)
		for f.changed(g.start - 1) {
			g.start--
		}
		return true
	}
	return false
}

// changeCompact is xdl_change_compact without the indent heuristic: every
// group of changes in f slides as far down as it can, unless it can line up
// with a group of changes in the other file, and then to the lowest such.
func changeCompact(f, fo *xfile) {
	g := groupInit(f)
	gother := groupInit(fo)
	for {
		if g.end != g.start {
			var earliestEnd, endMatchingOther int
			for {
				groupsize := g.end - g.start
				endMatchingOther = -1
				for groupSlideUp(f, &g) {
					if !groupPrevious(fo, &gother) {
						panic("merge: group sync broken sliding up")
					}
				}
				earliestEnd = g.end
				if gother.end > gother.start {
					endMatchingOther = g.end
				}
				for groupSlideDown(f, &g) {
					if !groupNext(fo, &gother) {
						panic("merge: group sync broken sliding down")
					}
					if gother.end > gother.start {
						endMatchingOther = g.end
					}
				}
				if groupsize == g.end-g.start {
					break
				}
			}
			if g.end != earliestEnd && endMatchingOther != -1 {
				for gother.end == gother.start {
					if !groupSlideUp(f, &g) {
						panic("merge: match disappeared")
					}
					if !groupPrevious(fo, &gother) {
						panic("merge: group sync broken sliding to match")
					}
				}
			}
		}
		if !groupNext(f, &g) {
			break
		}
		if !groupNext(fo, &gother) {
			panic("merge: group sync broken moving to next group")
		}
	}
}

// buildScript pairs the runs of changed lines of both files into hunks.
func buildScript(f1, f2 *xfile) []xchange {
	var out []xchange
	i1, i2 := 0, 0
	for i1 < f1.n() || i2 < f2.n() {
		if f1.changed(i1) || f2.changed(i2) {
			s1, s2 := i1, i2
			for i1 < f1.n() && f1.changed(i1) {
				i1++
			}
			for i2 < f2.n() && f2.changed(i2) {
				i2++
			}
			out = append(out, xchange{i1: s1, i2: s2, chg1: i1 - s1, chg2: i2 - s2})
			continue
		}
		i1++
		i2++
	}
	return out
}
