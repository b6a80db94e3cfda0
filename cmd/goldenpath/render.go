package main

import (
	"context"
	"errors"
	"io"
)

// runRender is not built yet; see the issue that owns it.
func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("render", "", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
