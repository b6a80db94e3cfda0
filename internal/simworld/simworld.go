// Package simworld is the test harness the workflows' tests share: the
// GitHub simulator over HTTP, the real GitHub App client, one organization
// with the App installed and a templates repository, and a fleet index on a
// fresh database; plus the one test template (svc) they publish and
// scaffold from.
package simworld

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/githubsim"
	"github.com/goldenpath-dev/goldenpath/internal/store"
	"github.com/goldenpath-dev/goldenpath/internal/store/storetest"
	"github.com/goldenpath-dev/goldenpath/internal/template"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// Org is the organization every world installs the App on.
const Org = "acme"

// Manifest is the test template svc: a name and an owning team.
const Manifest = `name: svc
title: Service
description: A service.
parameters:
  - id: name
    title: Service name
    type: string
    required: true
    example: payments
  - id: owner
    title: Owning team
    type: string
    required: true
    example: team-pay
`

// SkeletonV1 is the first version of svc's skeleton; tests make later
// versions as edits of it.
var SkeletonV1 = map[string]string{
	"README.md":  "# {{ .name }}\n\nOwned by {{ .owner }}.\n",
	"main.go":    "package main\n\nfunc main() {\n\tprintln(\"{{ .name }}\")\n}\n",
	"config.yml": "name: {{ .name }}\nport: 8080\n",
}

// Edited is base with edits applied: a file set to "" is removed.
func Edited(base, edits map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(edits))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range edits {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// Options shape a world. The zero value is a SQLite fleet, the simulator's
// default limits, the client's default policy and members alice and
// maintainer.
type Options struct {
	Dialect store.Dialect
	Limits  githubsim.Limits
	Policy  github.Policy
	// Members of Org (default alice and maintainer).
	Members []string
	// PrivateTemplates makes the templates repository private.
	PrivateTemplates bool
	// Logger is the clients' (nil: the client's default).
	Logger *slog.Logger
}

// World is a simulator, a client and a fleet index.
type World struct {
	T            testing.TB
	Sim          *githubsim.Sim
	URL          string // the simulator's API address
	App          *github.App
	Installation int64
	DB           *store.DB
	Fleet        *fleet.Index
	opts         Options
}

// New starts a world; everything stops when the test ends.
func New(t testing.TB, opts Options) *World {
	t.Helper()
	if opts.Dialect == "" {
		opts.Dialect = store.SQLite
	}
	if len(opts.Members) == 0 {
		opts.Members = []string{"alice", "maintainer"}
	}
	sim := githubsim.New(githubsim.Options{Limits: opts.Limits})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	// GitHub logs deliveries only for an App with a webhook: this one
	// accepts and drops them; tests read the log.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	t.Cleanup(func() { sim.WaitDeliveries(); hook.Close() })
	sim.SetWebhook(hook.URL, "test-secret")
	sim.AddOrg(Org, opts.Members...)
	w := &World{T: t, Sim: sim, URL: srv.URL, Installation: sim.Install(Org), opts: opts}
	w.App = w.NewApp()
	if err := sim.CreateRepo(Org, config.DefaultTemplatesRepo, githubsim.RepoOptions{Private: opts.PrivateTemplates}); err != nil {
		t.Fatal(err)
	}
	w.DB = storetest.Open(t, opts.Dialect)
	idx, err := fleet.Open(context.Background(), w.DB)
	if err != nil {
		t.Fatal(err)
	}
	w.Fleet = idx
	return w
}

// NewApp is another process's GitHub App clients (an empty tree cache).
func (w *World) NewApp() *github.App {
	w.T.Helper()
	app, err := github.NewApp(github.AppConfig{AppID: w.Sim.AppID(), PrivateKeyPEM: w.Sim.AppPrivateKeyPEM(), BaseURL: w.URL,
		Policy: w.opts.Policy, Logger: w.opts.Logger})
	if err != nil {
		w.T.Fatal(err)
	}
	return app
}

// Publish pushes version of svc (skeleton and changelog) to the templates
// repository, replacing the previous skeleton, and tags it svc/v<version>.
// It returns the tagged commit.
func (w *World) Publish(version string, skel map[string]string, changelog string) string {
	w.T.Helper()
	files := map[string][]byte{}
	dir := path.Join(template.TemplatesDir, "svc") + "/"
	if have, err := w.Sim.Files(Org, config.DefaultTemplatesRepo, "main"); err == nil {
		for p := range have {
			if strings.HasPrefix(p, dir+template.SkeletonDir+"/") {
				files[p] = nil
			}
		}
	}
	files[dir+template.ManifestFileName] = []byte(Manifest)
	files[dir+template.ChangelogFileName] = []byte(changelog)
	for p, d := range skel {
		files[dir+template.SkeletonDir+"/"+p] = []byte(d)
	}
	sha, err := w.Sim.Push(Org, config.DefaultTemplatesRepo, "main", files, "svc "+version, "maintainer")
	if err != nil {
		w.T.Fatal(err)
	}
	if err := w.Sim.Tag(Org, config.DefaultTemplatesRepo, "svc/v"+version, sha); err != nil {
		w.T.Fatal(err)
	}
	return sha
}

// Scaffold creates repository name as the request workflow would: skel
// rendered at version with answers, and its .goldenpath.yml, in one
// commit by author.
func (w *World) Scaffold(name, version string, skel map[string]string, answers template.Answers, author string) {
	w.T.Helper()
	fsys := fstest.MapFS{template.ManifestFileName: {Data: []byte(Manifest)}}
	for p, d := range skel {
		fsys[path.Join(template.SkeletonDir, p)] = &fstest.MapFile{Data: []byte(d), Mode: 0o644}
	}
	tpl, err := template.Load(fsys)
	if err != nil {
		w.T.Fatal(err)
	}
	rendered, err := template.Render(tpl, answers, template.RenderContext{Org: Org})
	if err != nil {
		w.T.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range rendered {
		files[f.Path] = f.Data
	}
	af := template.AnswersFile{Template: "svc", Version: version, Source: Org + "/" + config.DefaultTemplatesRepo, Answers: answers,
		Request: fmt.Sprintf("https://github.com/%s/%s/issues/1", Org, config.DefaultTemplatesRepo)}
	files[template.AnswersFileName] = af.Marshal()
	if err := w.Sim.CreateRepo(Org, name, githubsim.RepoOptions{Private: true}); err != nil {
		w.T.Fatal(err)
	}
	if _, err := w.Sim.Push(Org, name, "main", files, "Scaffold "+name, author); err != nil {
		w.T.Fatal(err)
	}
}

// WebhookExamples are GitHub's documented example payloads of event, from
// @octokit/webhooks-examples (skipped locally without it, failed in CI).
func WebhookExamples(t testing.TB, event string) []json.RawMessage {
	t.Helper()
	dir := testenv.NodeModule(t, "@octokit/webhooks-examples")
	data, err := os.ReadFile(filepath.Join(dir, "api.github.com", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var events []struct {
		Name     string            `json:"name"`
		Examples []json.RawMessage `json:"examples"`
	}
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	for _, e := range events {
		if e.Name == event {
			out = append(out, e.Examples...)
		}
	}
	return out
}
