package merge

import (
	"bytes"
	"hash/maphash"
)

// classes numbers lines by content (xdl_classify_record): equal lines get
// equal numbers. A 3-way merge numbers its three files with one classes, so
// the base is hashed once and not once per diff, and the edited sides are
// mostly read against the base line by line instead of hashed (ofEdited).
type classes struct {
	seed maphash.Seed
	// An open-addressing table (a Go map of strings cost twice as much):
	// slots holds 1 + the class of the line hashed there (0: empty), hashes
	// and reps each class's hash and one of its lines.
	slots  []int32
	hashes []uint64
	reps   [][]byte
	// basePos is, for each class, the index of its only line in the base;
	// -1 when the base has none of it or several.
	basePos []int
}

func newClasses(lines int) *classes {
	c := &classes{seed: maphash.MakeSeed(), hashes: make([]uint64, 0, lines), reps: make([][]byte, 0, lines), basePos: make([]int, 0, lines)}
	c.slots = make([]int32, tableSize(lines))
	return c
}

// tableSize keeps the table at most half full.
func tableSize(classes int) int {
	n := 16
	for n < 2*classes {
		n <<= 1
	}
	return n
}

// find returns r's hash, the slot that holds its class or would, and the
// class (-1: none yet). It only reads the table.
func (c *classes) find(r []byte) (h, slot uint64, id int) {
	h = maphash.Bytes(c.seed, r)
	mask := uint64(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := c.slots[i]
		if s == 0 {
			return h, i, -1
		}
		if id := int(s - 1); c.hashes[id] == h && bytes.Equal(c.reps[id], r) {
			return h, i, id
		}
	}
}

func (c *classes) class(r []byte) int {
	h, slot, id := c.find(r)
	if id >= 0 {
		return id
	}
	id = len(c.reps)
	c.hashes = append(c.hashes, h)
	c.reps = append(c.reps, r)
	c.basePos = append(c.basePos, -1)
	c.slots[slot] = int32(id + 1)
	if 2*len(c.reps) > len(c.slots) {
		c.grow()
	}
	return id
}

func (c *classes) grow() {
	c.slots = make([]int32, 2*len(c.slots))
	mask := uint64(len(c.slots) - 1)
	for id, h := range c.hashes {
		i := h & mask
		for c.slots[i] != 0 {
			i = (i + 1) & mask
		}
		c.slots[i] = int32(id + 1)
	}
}

// of returns the class of each line, numbering new contents as they come.
func (c *classes) of(lines [][]byte) []int {
	ha := make([]int, len(lines))
	for i, r := range lines {
		ha[i] = c.class(r)
	}
	return ha
}

// ofBase is of for the base of a merge: it also records where each line
// that occurs once sits.
func (c *classes) ofBase(base [][]byte) []int {
	ha := make([]int, len(base))
	seen := make([]bool, 0, len(base))
	for i, r := range base {
		id := c.class(r)
		ha[i] = id
		if id == len(seen) {
			seen = append(seen, true)
			c.basePos[id] = i
		} else {
			c.basePos[id] = -1
		}
	}
	return ha
}

// alignEdited classes the lines of an edited version of base that the
// table knows: a line equal to the base line it is aligned with takes that
// line's class without a lookup; a line that is not is looked up, and a line
// found once in the base realigns the two. Lines of new content get -1. It
// only reads the table, so both sides of a merge can be aligned at once.
func (c *classes) alignEdited(lines, base [][]byte, hb []int) []int {
	ha := make([]int, len(lines))
	off := 0
	for j, r := range lines {
		if k := j + off; k >= 0 && k < len(base) && bytes.Equal(r, base[k]) {
			ha[j] = hb[k]
			continue
		}
		_, _, id := c.find(r)
		ha[j] = id
		if id >= 0 && c.basePos[id] >= 0 {
			off = c.basePos[id] - j
		}
	}
	return ha
}

// numberNew classes the lines alignEdited left at -1.
func (c *classes) numberNew(lines [][]byte, ha []int) {
	for j, id := range ha {
		if id < 0 {
			ha[j] = c.class(lines[j])
		}
	}
}

func (c *classes) n() int { return len(c.reps) }
