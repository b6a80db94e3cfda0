package main

import (
	"context"
	"errors"
	"io"
)

// runLint is not built yet; see the issue that owns it.
func runLint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("lint", "", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
