package localupgrade

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"path"
	"strings"
	"testing/fstest"
	"time"
)

// gitTimeout bounds every git process: they run on local clones only.
const gitTimeout = 2 * time.Minute

// git runs git in dir and returns its standard output.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		var ee *exec.Error
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("running git %s: %w", args[0], err)
		}
		return nil, fmt.Errorf("git %s in %s: %s", args[0], dir, msg)
	}
	return stdout.Bytes(), nil
}

// listTags lists the tags of the clone at source that start with prefix.
func listTags(ctx context.Context, source, prefix string) ([]string, error) {
	out, err := git(ctx, source, "tag", "-l", prefix+"*")
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

// archiveDir reads the folder dir of the clone at tag (git archive, so no
// checkout is touched) as a file system rooted at dir.
func archiveDir(ctx context.Context, source, tag, dir string) (fs.FS, error) {
	out, err := git(ctx, source, "archive", "--format=tar", "refs/tags/"+tag, "--", dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", dir, tag, err)
	}
	fsys := fstest.MapFS{}
	tr := tar.NewReader(bytes.NewReader(out))
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the archive of %s at %s: %w", dir, tag, err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		if !strings.HasPrefix(name+"/", prefix) || name+"/" == prefix {
			continue
		}
		rel := path.Clean(strings.TrimPrefix(name, prefix))
		switch h.Typeflag {
		case tar.TypeDir:
			fsys[rel] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
		case tar.TypeSymlink:
			fsys[rel] = &fstest.MapFile{Data: []byte(h.Linkname), Mode: fs.ModeSymlink | 0o777}
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("reading %s at %s: %w", name, tag, err)
			}
			fsys[rel] = &fstest.MapFile{Data: data, Mode: fs.FileMode(h.Mode) & 0o777}
		}
	}
	return fsys, nil
}
