// Package catalogtest runs Backstage's own entity validation
// (@backstage/catalog-model, through testdata/backstage/validate.mjs) from Go
// tests, so rendered catalog-info.yaml files are checked by the real thing
// and not only by package catalog's re-implementation.
package catalogtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// Backstage validates the YAML documents of a catalog-info.yaml with
// Backstage's validators. It returns nil when every entity is valid and an
// error carrying Backstage's messages when one is not; it fails the test if
// the validator cannot run (and skips outside CI when node or the npm
// package is missing).
func Backstage(tb testing.TB, data []byte) error {
	tb.Helper()
	node := testenv.Tool(tb, "node")
	model := testenv.NodeModule(tb, "@backstage/catalog-model")
	script := filepath.Join(testenv.ModuleRoot(tb), "testdata", "backstage", "validate.mjs")

	// catalog-model ships no YAML parser: hand the documents over as JSON.
	docs, err := catalog.Documents(data)
	if err != nil {
		return err
	}
	input, err := json.Marshal(docs)
	if err != nil {
		tb.Fatalf("encoding entities as JSON: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, model)
	cmd.Stdin = bytes.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return fmt.Errorf("backstage: %s", strings.TrimSpace(stderr.String()))
	default:
		tb.Fatalf("running %s: %v\n%s", script, err, stderr.String())
		return nil
	}
}
