package main

import (
	"context"
	"fmt"
	"io"

	"github.com/goldenpath-dev/goldenpath/internal/starter"
)

// runInit writes a starter templates repository.
func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("init", "[--force] [DIR]\n\n"+
		"DIR (default .) receives goldenpath.yaml with every key documented, the\n"+
		"built-in templates, their issue forms, a README for template maintainers and\n"+
		".github/workflows/templates.yml (lint and forms --check on pull requests).\n"+
		"DIR must be empty or missing unless --force is given.", stderr)
	force := flags.Bool("force", false, "write into a folder that already holds files, replacing the starter's files")
	rest, err := parseInterspersed(flags, args)
	if err != nil {
		return err
	}
	dir, err := oneRoot(rest)
	if err != nil {
		return err
	}
	files, err := starter.Files(starter.Version())
	if err != nil {
		return err
	}
	written, err := starter.Write(dir, files, *force)
	if err != nil {
		return fmt.Errorf("%w; use --force to write into it anyway", err)
	}
	fmt.Fprintf(stdout, "wrote %d files to %s\n\nNext: check it with 'goldenpath lint %s', push it as ORG/golden-paths,\n"+
		"protect its default branch and its */v* tags (see its README.md), then tag\n"+
		"each template's first version, e.g. go-service/v1.0.0.\n", len(written), dir, dir)
	return nil
}
