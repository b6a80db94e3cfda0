package main

import (
	"context"
	"errors"
	"io"
)

// runDemo is not built yet; see the issue that owns it.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
