package main

import (
	"context"
	"errors"
	"io"
)

// runForms is not built yet; see the issue that owns it.
func runForms(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("forms", "", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
