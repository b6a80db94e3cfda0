package main

import (
	"context"
	"fmt"
	"io"

	goldenpath "github.com/goldenpath-dev/goldenpath"
	"github.com/goldenpath-dev/goldenpath/internal/setup"
)

// runSetup registers the GitHub App with GitHub's manifest flow and writes .env.
func runSetup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("setup", "[--org ORG] [--github-url URL] [--webhook-url URL] [--force]\n\n"+
		"Serves a local page that registers the App from app.yml on GitHub (as Probot\n"+
		"does), then writes APP_ID, PRIVATE_KEY_PATH (the key in a 0600 file),\n"+
		"WEBHOOK_SECRET, GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (and GITHUB_API_URL\n"+
		"for Enterprise Server) into .env, mode 0600, and prints the install link.", stderr)
	org := flags.String("org", "", "register the App in this organisation (default: your own account)")
	githubURL := flags.String("github-url", setup.GitHubDotCom, "GitHub's web address; https://HOST for GitHub Enterprise Server")
	webhookURL := flags.String("webhook-url", "", "where GitHub will post deliveries, e.g. "+setup.WebhookPlaceholder+" (default: the page asks)")
	force := flags.Bool("force", false, "replace the App values .env already holds")
	listen := flags.String("listen", "127.0.0.1:3000", "address of the local setup page")
	envPath := flags.String("env", ".env", "the file to write")
	if err := parseNoArgs(flags, args); err != nil {
		return err
	}
	res, err := setup.Run(ctx, setup.Options{
		AppYML: goldenpath.AppManifest, GitHubURL: *githubURL, Org: *org, WebhookURL: *webhookURL,
		EnvPath: *envPath, Force: *force, Listen: *listen,
		Ready: func(page string) {
			fmt.Fprintf(stdout, "Open %s in a browser to register the GitHub App (Ctrl-C to stop).\n", page)
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Registered %s (App id %d); wrote %s and %s (mode 0600).\nInstall it: %s\nThen run: goldenpath serve\n",
		res.Slug, res.AppID, res.EnvPath, res.KeyPath, res.InstallURL)
	return nil
}
