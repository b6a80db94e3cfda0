package merge

import "testing"

func TestDiffStat(t *testing.T) {
	tests := []struct {
		name       string
		a, b       string
		add, remov int
	}{
		{"equal", "a\nb\n", "a\nb\n", 0, 0},
		{"one line changed", "a\nb\nc\n", "a\nB\nc\n", 1, 1},
		{"lines added", "a\n", "a\nb\nc\n", 2, 0},
		{"lines removed", "a\nb\nc\n", "c\n", 0, 2},
		{"from nothing", "", "x\ny\n", 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			add, rem := DiffStat([]byte(tt.a), []byte(tt.b))
			if add != tt.add || rem != tt.remov {
				t.Errorf("DiffStat = +%d -%d, want +%d -%d", add, rem, tt.add, tt.remov)
			}
		})
	}
}
