package templatesrc

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/goldenpath-dev/goldenpath/internal/config"
	"github.com/goldenpath-dev/goldenpath/internal/gitcli"
	"github.com/goldenpath-dev/goldenpath/internal/github"
	"github.com/goldenpath-dev/goldenpath/internal/template"
)

// Git reads a local clone of the templates repository (`goldenpath
// upgrade --source`): the same Reader as the GitHub-backed Repo, with git
// archive instead of the API. No checkout is touched.
type Git struct {
	// Dir is the clone.
	Dir string
}

var _ Reader = Git{}

// Tags lists the clone's tags that start with prefix.
func (g Git) Tags(ctx context.Context, prefix string) ([]string, error) {
	out, err := gitcli.Run(ctx, g.Dir, "tag", "-l", prefix+"*")
	if err != nil {
		return nil, err
	}
	var tags []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			tags = append(tags, l)
		}
	}
	return tags, nil
}

// Latest implements Reader.
func (g Git) Latest(ctx context.Context, name string) (Version, error) {
	tags, err := g.Tags(ctx, name+"/v")
	if err != nil {
		return Version{}, fmt.Errorf("listing the tags of %s in %s: %w", name, g.Dir, err)
	}
	return latest(tags, name)
}

// At implements Reader.
func (g Git) At(ctx context.Context, tag string) (*template.Template, error) {
	name, _, ok := template.ParseTag(tag)
	if !ok {
		return nil, fmt.Errorf("%q is not a template version tag (<name>/vX.Y.Z)", tag)
	}
	dir := path.Join(template.TemplatesDir, name)
	files, err := g.archive(ctx, "refs/tags/"+tag, dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", dir, tag, err)
	}
	return load(NewFS(files), name, tag)
}

// Policy implements Reader; ref "" is HEAD.
func (g Git) Policy(ctx context.Context, ref string) (config.Policy, error) {
	if ref == "" {
		ref = "HEAD"
	}
	files, err := g.archive(ctx, ref, config.PolicyFile)
	if err != nil {
		// git archive refuses a path the tree lacks: is the ref there?
		if _, rerr := gitcli.Run(ctx, g.Dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); rerr != nil {
			return config.Policy{}, fmt.Errorf("reading %s at %s: %w", config.PolicyFile, ref, err)
		}
		return parsePolicy(nil, false)
	}
	f, ok := files[config.PolicyFile]
	return parsePolicy(f.Data, ok)
}

// archive reads the paths under dir at ref (git archive) into files keyed
// by their path from the repository's root.
func (g Git) archive(ctx context.Context, ref, dir string) (map[string]File, error) {
	out, err := gitcli.Run(ctx, g.Dir, "archive", "--format=tar", ref, "--", dir)
	if err != nil {
		return nil, err
	}
	files, err := github.ReadTar(bytes.NewReader(out), 0, cleanName)
	if err != nil {
		return nil, fmt.Errorf("reading the archive of %s at %s: %w", dir, ref, err)
	}
	return fromGitHub(files), nil
}
