package main

import (
	"context"
	"errors"
	"io"
)

// runUpgrade is not built yet; see the issue that owns it.
func runUpgrade(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("upgrade", "", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
