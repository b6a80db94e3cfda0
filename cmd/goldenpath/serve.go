package main

import (
	"context"
	"errors"
	"io"
)

// runServe is not built yet; see the issue that owns it.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
