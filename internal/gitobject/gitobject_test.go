package gitobject

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

func TestBlobSHA(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		// Ids git itself gives these contents (`git hash-object --stdin`).
		{"empty", "", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"},
		{"hello", "hello\n", "ce013625030ba8dba906f756967f9e9ca394464a"},
		{"no final newline", "hello", "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := BlobSHA([]byte(tc.data)); got != tc.want {
				t.Errorf("BlobSHA(%q) = %s, want %s", tc.data, got, tc.want)
			}
		})
	}
}

// TestAgreesWithGit checks BlobSHA against git hash-object on contents that
// stress the header (sizes of several digits, NUL bytes, CRLF).
func TestAgreesWithGit(t *testing.T) {
	git := testenv.Tool(t, "git")
	for _, data := range [][]byte{
		bytes.Repeat([]byte("line\r\n"), 2000),
		{0, 1, 2, 0, 255},
		[]byte(strings.Repeat("x", 123456)),
	} {
		cmd := exec.Command(git, "hash-object", "--stdin")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git hash-object: %v", err)
		}
		if want, got := strings.TrimSpace(string(out)), BlobSHA(data); got != want {
			t.Errorf("BlobSHA of %d bytes = %s, git says %s", len(data), got, want)
		}
	}
}
