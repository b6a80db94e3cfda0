// Package gitcli runs the git command line on local clones, each run bounded
// by a timeout, its failures reported with git's own message.
package gitcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Timeout bounds every git process: they run on local clones only.
const Timeout = 2 * time.Minute

// Run runs git in dir and returns its standard output.
func Run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		var ee *exec.Error
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("running git %s: %w", args[0], err)
		}
		return nil, fmt.Errorf("git %s in %s: %s", args[0], dir, msg)
	}
	return stdout.Bytes(), nil
}
