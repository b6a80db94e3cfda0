package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/goldenpath-dev/goldenpath/internal/demo"
)

// runDemo plays the whole flow against the built-in GitHub simulator.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[--logs] [--database URL]", stderr)
	logs := fs.Bool("logs", false, "also print the bot's JSON logs on stderr")
	dbURL := fs.String("database", "", "keep the bot's queue and fleet index in this database (sqlite://FILE or postgres://…)\nfor 'goldenpath fleet' and 'goldenpath jobs' to read afterwards (default: a temporary SQLite file, removed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo takes no arguments, got %q", fs.Arg(0))
	}
	dir, err := os.MkdirTemp("", "goldenpath-demo-")
	if err != nil {
		return fmt.Errorf("making a folder for the demo's database: %w", err)
	}
	defer os.RemoveAll(dir)
	logOut := io.Discard
	if *logs {
		logOut = stderr
	}
	return demo.Run(ctx, demo.Options{Dir: dir, DatabaseURL: *dbURL, Out: stdout, Log: logOut})
}
