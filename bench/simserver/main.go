// Command simserver serves the GitHub simulator (internal/githubsim) on a
// loopback port for bench/run: `goldenpath serve` checks its credentials
// against it at start-up and its workers read from it, as they would from
// GitHub. It installs the App on one account with one empty repository (the
// account and repository of the benchmark's delivery) and writes the App key
// and the ids bench/run needs, then serves until killed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "simserver: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	account := flag.String("account", "Codertocat", "account the App is installed on")
	repo := flag.String("repo", "Hello-World", "repository created in that account")
	keyOut := flag.String("key", "", "file to write the App's private key to (required)")
	infoOut := flag.String("info", "", "file to write {url, app_id, installation_id} to (required)")
	flag.Parse()
	if *keyOut == "" || *infoOut == "" {
		return fmt.Errorf("-key and -info are required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	sim := githubsim.New(githubsim.Options{BaseURL: base + "/api/v3", Limits: githubsim.Limits{Disabled: true}})
	if err := sim.CreateRepo(*account, *repo, githubsim.RepoOptions{}); err != nil {
		return fmt.Errorf("creating %s/%s: %w", *account, *repo, err)
	}
	// A templates repository without a template yet: a delivery's job reads
	// its (empty) tag list and finds no request to work.
	readme := map[string][]byte{"README.md": []byte("# " + *repo + "\n")}
	if _, err := sim.Push(*account, *repo, "main", readme, "Initial commit", *account); err != nil {
		return fmt.Errorf("pushing to %s/%s: %w", *account, *repo, err)
	}
	inst := sim.Install(*account)
	if err := os.WriteFile(*keyOut, sim.AppPrivateKeyPEM(), 0o600); err != nil {
		return fmt.Errorf("writing the App key: %w", err)
	}
	info, err := json.Marshal(map[string]any{"url": base + "/api/v3", "app_id": sim.AppID(), "installation_id": inst})
	if err != nil {
		return err
	}
	// Written last and renamed into place: its presence means "ready".
	if err := os.WriteFile(*infoOut+".tmp", info, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", *infoOut, err)
	}
	if err := os.Rename(*infoOut+".tmp", *infoOut); err != nil {
		return fmt.Errorf("writing %s: %w", *infoOut, err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}
