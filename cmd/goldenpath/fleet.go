package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/opsview"
	"github.com/goldenpath-dev/goldenpath/internal/store"
)

// runFleet prints the fleet index: which repository is on which template
// version, and its upgrade pull request.
func runFleet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("fleet", "[--json] [--database URL]\n\n"+
		"Reads the fleet index from DATABASE_URL (environment or .env; default "+config.DefaultDatabaseURL+").", stderr)
	asJSON := flags.Bool("json", false, "print a JSON array instead of a table")
	dbURL := databaseFlag(flags)
	if err := parseNoArgs(flags, args); err != nil {
		return err
	}
	db, err := openExistingDatabase(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	idx, err := fleet.Open(ctx, db)
	if err != nil {
		return err
	}
	repos, err := idx.List(ctx)
	if err != nil {
		return err
	}
	var prs []fleet.UpgradePR
	seen := map[string]bool{}
	for _, r := range repos {
		if seen[r.Template] {
			continue
		}
		seen[r.Template] = true
		p, err := idx.UpgradePRs(ctx, r.Template)
		if err != nil {
			return err
		}
		prs = append(prs, p...)
	}
	return opsview.WriteFleet(stdout, opsview.Fleet(repos, prs), *asJSON)
}

// databaseFlag adds --database, whose default is DATABASE_URL from the
// environment or .env, as `goldenpath serve` reads it.
func databaseFlag(flags *flag.FlagSet) *string {
	return flags.String("database", "", "database URL (default: DATABASE_URL from the environment or .env, else "+config.DefaultDatabaseURL+")")
}

func parseNoArgs(flags *flag.FlagSet, args []string) error {
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return exitError{code: 2, msg: fmt.Sprintf("takes no arguments, got %q", flags.Arg(0))}
	}
	return nil
}

// openExistingDatabase opens the server's database for reading what it
// holds; a SQLite file that does not exist is an error rather than a new
// empty database.
func openExistingDatabase(ctx context.Context, url string) (*store.DB, error) {
	if url == "" {
		getenv, err := config.Environ(".env")
		if err != nil {
			return nil, err
		}
		url = getenv("DATABASE_URL")
		if url == "" {
			url = config.DefaultDatabaseURL
		}
	}
	if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
		path, _, _ = strings.Cut(path, "?")
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: set DATABASE_URL (or --database) to the one goldenpath serve uses", path)
		}
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	return db, nil
}
