package template

import (
	"fmt"
	"io/fs"
	"strings"
)

// SafePath checks a rendered, slash-separated path that is about to be
// written under an output root. It returns the path when it is relative,
// clean and cannot leave the root or reach into .git; otherwise an error
// saying why. It never rewrites a suspicious path into an acceptable one:
// a template that renders "a//b" or "../x" has a bug worth reporting.
func SafePath(p string) (string, error) {
	switch {
	case p == "":
		return "", fmt.Errorf("path is empty")
	case strings.ContainsRune(p, 0):
		return "", fmt.Errorf("path %q contains a NUL byte", p)
	case strings.ContainsRune(p, '\\'):
		return "", fmt.Errorf("path %q contains a backslash; use / to separate folders", p)
	case strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("path %q is absolute; paths must be relative to the output root", p)
	case len(p) >= 2 && p[1] == ':' && isASCIILetter(p[0]):
		return "", fmt.Errorf("path %q starts with a drive letter; paths must be relative to the output root", p)
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "":
			return "", fmt.Errorf("path %q has an empty folder name (// or a trailing /)", p)
		case seg == "..":
			return "", fmt.Errorf("path %q contains \"..\"; paths must stay inside the output root", p)
		case seg == ".":
			return "", fmt.Errorf("path %q contains \".\"; paths must be clean", p)
		case strings.EqualFold(seg, ".git"):
			return "", fmt.Errorf("path %q writes into the .git folder", p)
		}
		for _, r := range seg {
			if r < 0x20 || r == 0x7f {
				return "", fmt.Errorf("path %q contains a control character", p)
			}
		}
	}
	if !fs.ValidPath(p) {
		// Unreachable after the checks above; kept as the final guard.
		return "", fmt.Errorf("path %q is not a valid relative path", p)
	}
	return p, nil
}

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
