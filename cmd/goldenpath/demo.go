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
	fs := newFlagSet("demo", "[--logs]", stderr)
	logs := fs.Bool("logs", false, "also print the bot's JSON logs on stderr")
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
	return demo.Run(ctx, demo.Options{Dir: dir, Out: stdout, Log: logOut})
}
