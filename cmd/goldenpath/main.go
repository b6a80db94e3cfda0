// Command goldenpath is the goldenpath GitHub App and its local tools. This
// file only dispatches subcommands; each lives in its own file and does
// wiring, never domain logic (that is under internal/).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand: a one-line summary for the usage text and the
// function that runs it with the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is filled in init because the commands' own usage text reads it.
var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":   {"run the GitHub App: webhook server and job workers", runServe},
		"render":  {"render one template locally", runRender},
		"lint":    {"check a templates repository", runLint},
		"forms":   {"write or check the issue forms for every template", runForms},
		"upgrade": {"upgrade a local checkout to a newer template version", runUpgrade},
		"adopt":   {"bring an existing local checkout onto a golden path", runAdopt},
		"demo":    {"the whole flow against the built-in GitHub simulator", runDemo},
		"init":    {"write a starter templates repository", runInit},
		"fleet":   {"print the fleet index: repositories, template versions, upgrade PRs", runFleet},
		"jobs":    {"print failed, retrying and stuck jobs; retry one", runJobs},
		"setup":   {"register the GitHub App with GitHub's manifest flow and write .env", runSetup},
		"check":   {"tell whether a generated repository is behind or drifted", runCheck},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "goldenpath: unknown command %q; run 'goldenpath --help' for the list\n", args[0])
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var exit exitError
		if errors.As(err, &exit) {
			if exit.msg != "" {
				fmt.Fprintf(stderr, "goldenpath %s: %s\n", args[0], exit.msg)
			}
			return exit.code
		}
		fmt.Fprintf(stderr, "goldenpath %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// exitError ends a command with a specific exit status (e.g. 1 for lint
// problems already printed, 2 for upgrade conflicts) and an optional message.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("goldenpath: golden paths for GitHub organisations, as a GitHub App\n\nUsage: goldenpath <command> [flags]\n\nCommands:\n")
	for _, name := range names {
		fmt.Fprintf(&b, "  %-8s %s\n", name, commands[name].summary)
	}
	b.WriteString("\nRun 'goldenpath <command> --help' for a command's flags.\n")
	io.WriteString(w, b.String())
}

// newFlagSet returns a flag set that prints its usage to stderr and reports
// errors instead of exiting, so every command handles --help the same way.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("goldenpath "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: goldenpath %s %s\n\n%s\n\nFlags:\n", name, synopsis, commands[name].summary)
		fs.PrintDefaults()
	}
	return fs
}
