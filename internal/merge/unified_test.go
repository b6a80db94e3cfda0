package merge

import (
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

func TestUnifiedDiffEqualIsEmpty(t *testing.T) {
	if d := UnifiedDiff("a", "b", []byte("x\ny\n"), []byte("x\ny\n"), 3); d != "" {
		t.Errorf("diff of equal texts = %q, want empty", d)
	}
}

// TestUnifiedDiffAgreesWithGit compares the hunks with `git diff --no-index`
// on generated edits.
func TestUnifiedDiffAgreesWithGit(t *testing.T) {
	git := testenv.Tool(t, "git")
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	for i := range 200 {
		base := genText(rng, 5+rng.Intn(40))
		edited := editText(rng, base)
		if rng.Intn(5) == 0 {
			edited = strings.TrimSuffix(edited, "\n")
		}
		pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.WriteFile(pa, []byte(base), 0o644)
		os.WriteFile(pb, []byte(edited), 0o644)
		out, _ := exec.Command(git, "diff", "--no-index", "--no-color", "-U3", pa, pb).Output()
		want := string(out)
		if k := strings.Index(want, "@@"); k >= 0 {
			want = want[k:]
		} else {
			want = ""
		}
		got := UnifiedDiff("a", "b", []byte(base), []byte(edited), 3)
		if k := strings.Index(got, "@@"); k >= 0 {
			got = got[k:]
		}
		// git appends the function context after @@; ours has none.
		want = stripHunkContext(want)
		if got != want {
			t.Fatalf("case %d differs from git diff:\n--- base\n%s\n--- edited\n%s\n--- ours\n%s\n--- git\n%s", i, base, edited, got, want)
		}
	}
}

func stripHunkContext(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "@@ ") {
			if k := strings.Index(l[3:], " @@"); k >= 0 {
				lines[i] = l[:3+k+3] + "\n"
			}
		}
	}
	return strings.Join(lines, "")
}

func genText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(string(rune('a'+rng.Intn(6))) + "\n")
	}
	return b.String()
}

func editText(rng *rand.Rand, s string) string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for range 1 + rng.Intn(4) {
		i := rng.Intn(len(lines) + 1)
		switch rng.Intn(3) {
		case 0:
			lines = append(lines[:i], append([]string{"new" + string(rune('a'+rng.Intn(6))) + "\n"}, lines[i:]...)...)
		case 1:
			if i < len(lines) {
				lines = append(lines[:i], lines[i+1:]...)
			}
		default:
			if i < len(lines) {
				lines[i] = "changed\n"
			}
		}
	}
	return strings.Join(lines, "")
}
