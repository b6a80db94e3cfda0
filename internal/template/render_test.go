package template

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// skeleton builds an in-memory template: manifest options appended to
// minimalManifest, files under skeleton/.
func skeleton(t *testing.T, options string, files map[string]string) *Template {
	t.Helper()
	fsys := fstest.MapFS{ManifestFileName: {Data: []byte(minimalManifest + options)}}
	for p, data := range files {
		fsys[path.Join(SkeletonDir, p)] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	if len(files) == 0 {
		fsys[SkeletonDir] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
	}
	tpl, err := Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tpl
}

var exampleAnswers = Answers{"name": "payments", "owner": "team-pay"}

func renderMap(t *testing.T, tpl *Template) map[string]string {
	t.Helper()
	files, err := Render(tpl, exampleAnswers, RenderContext{Org: "acme"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[f.Path] = string(f.Data)
	}
	return out
}

func TestRenderContentAndNames(t *testing.T) {
	tpl := skeleton(t, "", map[string]string{
		"README.md":                       "# {{ .name }}\nOwned by {{ .owner }} in {{ .goldenpath.org }} from {{ .goldenpath.template }}.\n",
		"cmd/{{ .name }}/main.go.tmpl":    "package main // {{ .name | upper }}\n",
		"{{ .owner }}.txt":                "{{ .owner }}",
		"docs/index.md":                   "{{ `{{ not rendered twice }}` }}",
		"{{ if false }}optional{{ end }}": "never",
		"{{ if false }}dir{{ end }}/x":    "never",
		"sub/{{ if false }}f{{ end }}":    "never",
		"keep.tmpl.md":                    "kept",
	})
	got := renderMap(t, tpl)
	want := map[string]string{
		"README.md":            "# payments\nOwned by team-pay in acme from svc.\n",
		"cmd/payments/main.go": "package main // PAYMENTS\n",
		"team-pay.txt":         "team-pay",
		"docs/index.md":        "{{ not rendered twice }}",
		"keep.tmpl.md":         "kept",
	}
	if len(got) != len(want) {
		t.Errorf("rendered %d files %v, want %d", len(got), keys(got), len(want))
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s = %q, want %q", p, got[p], w)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestRenderGitHubActionsSurvive(t *testing.T) {
	workflow := "steps:\n  - run: echo ${{ github.sha }} {{ .name }}\n"
	t.Run("verbatim glob", func(t *testing.T) {
		tpl := skeleton(t, "options:\n  verbatim: ['.github/**/*.yml']\n", map[string]string{
			".github/workflows/ci.yml":           workflow,
			".github/workflows/release.yml.tmpl": workflow,
			"README.md":                          "{{ .name }}",
		})
		got := renderMap(t, tpl)
		for _, p := range []string{".github/workflows/ci.yml", ".github/workflows/release.yml"} {
			if got[p] != workflow {
				t.Errorf("verbatim file %s changed: %q", p, got[p])
			}
		}
		if got["README.md"] != "payments" {
			t.Errorf("other files must still render: %q", got["README.md"])
		}
	})
	t.Run("custom delimiters", func(t *testing.T) {
		tpl := skeleton(t, "options:\n  delimiters: ['[[', ']]']\n", map[string]string{
			".github/workflows/ci.yml": "steps:\n  - run: echo ${{ github.sha }} [[ .name ]]\n",
			"[[ .name ]].md":           "x",
		})
		got := renderMap(t, tpl)
		if w := "steps:\n  - run: echo ${{ github.sha }} payments\n"; got[".github/workflows/ci.yml"] != w {
			t.Errorf("got %q, want %q", got[".github/workflows/ci.yml"], w)
		}
		if got["payments.md"] != "x" {
			t.Errorf("names use the custom delimiters too: %v", keys(got))
		}
	})
}

func TestRenderExclude(t *testing.T) {
	tpl := skeleton(t, "options:\n  exclude: ['**/.DS_Store', 'partials']\n", map[string]string{
		"a/.DS_Store":     "junk",
		".DS_Store":       "junk",
		"partials/x.tmpl": "{{ .broken",
		"ok.txt":          "ok",
	})
	got := renderMap(t, tpl)
	if len(got) != 1 || got["ok.txt"] != "ok" {
		t.Errorf("got %v, want only ok.txt", keys(got))
	}
}

func TestRenderHermetic(t *testing.T) {
	funcs := []string{"env", "expandenv", "now", "date", "dateInZone", "ago", "toDate", "unixEpoch", "randAlphaNum", "randAlpha",
		"randAscii", "randNumeric", "randBytes", "randInt", "shuffle", "uuidv4", "genPrivateKey", "genCA", "genSelfSignedCert",
		"genSignedCert", "buildCustomCert", "derivePassword", "bcrypt", "htpasswd", "encryptAES", "getHostByName", "osBase", "durationRound"}
	for _, fn := range funcs {
		t.Run(fn, func(t *testing.T) {
			tpl := skeleton(t, "", map[string]string{"f.txt": "line one\n{{ " + fn + " }}"})
			_, err := Render(tpl, exampleAnswers, RenderContext{})
			if err == nil {
				t.Fatalf("%s is available to templates", fn)
			}
			want := `template: skeleton/f.txt:2: function "` + fn + `" not defined`
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want it to contain %q", err, want)
			}
		})
	}
	// printf stays, without the verb that prints an address.
	for _, format := range []string{"%p", "%-8p", "%[1]p", "%% %p"} {
		tpl := skeleton(t, "", map[string]string{"f.txt": `{{ printf "` + format + `" (list 1) }}`})
		if _, err := Render(tpl, exampleAnswers, RenderContext{}); err == nil || !strings.Contains(err.Error(), "%p prints a memory address") {
			t.Errorf("printf %q: error %v, want %%p refused", format, err)
		}
	}
	tpl := skeleton(t, "", map[string]string{"f.txt": `{{ printf "%%p %05.1f %[1]v %s" 2.5 "x" }}`})
	if got := renderMap(t, tpl)["f.txt"]; got != "%p 002.5 2.5 x" {
		t.Errorf("printf: got %q", got)
	}
	// The useful, deterministic sprig functions stay.
	tpl = skeleton(t, "", map[string]string{"f.txt": `{{ "a-b" | replace "-" "_" | upper }} {{ sha256sum "x" | trunc 8 }} {{ list 3 1 2 | sortAlpha | join "," }}`})
	if got := renderMap(t, tpl)["f.txt"]; got != "A_B 2d711642 1,2,3" {
		t.Errorf("sprig functions: got %q", got)
	}
}

func TestRenderDeterministic(t *testing.T) {
	tpl := skeleton(t, "", map[string]string{
		"a.txt":       `{{ range $k, $v := dict "z" 1 "a" 2 "m" 3 }}{{ $k }}={{ $v }} {{ end }}{{ .goldenpath | toJson }}`,
		"b/{{.name}}": "{{ .owner }}",
		"c.bin":       "\x00\x01{{ .name }}",
		// sprig's keys and values walk a Go map: in random order unless sorted.
		"d.txt": `{{ $m := dict "k" 1 "j" 2 "i" 3 "h" 4 "g" 5 "f" 6 "e" 7 "d" 8 "c" 9 "b" 10 }}{{ keys $m | join "," }} {{ values $m | join "," }} {{ keys $m (dict "a" 0 "k" 0) | join "," }}`,
	})
	first, err := Render(tpl, exampleAnswers, RenderContext{Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, err := Render(tpl, exampleAnswers, RenderContext{Org: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != len(first) {
			t.Fatalf("render %d: %d files, first had %d", i, len(again), len(first))
		}
		for j := range first {
			if again[j].Path != first[j].Path || again[j].Mode != first[j].Mode || !bytes.Equal(again[j].Data, first[j].Data) {
				t.Fatalf("render %d differs at %s", i, first[j].Path)
			}
		}
	}
	if first[0].Path != "a.txt" || string(first[0].Data) != `a=2 m=3 z=1 {"org":"acme","template":"svc"}` {
		t.Errorf("a.txt = %q", first[0].Data)
	}
	if first[3].Path != "d.txt" || string(first[3].Data) != "b,c,d,e,f,g,h,i,j,k 10,9,8,7,6,5,4,3,2,1 b,c,d,e,f,g,h,i,j,k,a,k" {
		t.Errorf("%s = %q, want keys sorted per map and values in their order", first[3].Path, first[3].Data)
	}
}

func TestRenderBinaryAndModes(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n\x00\x00{{ .name }}"
	latin1 := "caf\xe9 {{ .name }}"
	fsys := fstest.MapFS{
		ManifestFileName:               {Data: []byte(minimalManifest)},
		"skeleton/logo.png":            {Data: []byte(png), Mode: 0o644},
		"skeleton/latin1.txt":          {Data: []byte(latin1), Mode: 0o644},
		"skeleton/scripts/run.sh.tmpl": {Data: []byte("#!/bin/sh\necho {{ .name }}\n"), Mode: 0o750},
		"skeleton/odd-mode.txt":        {Data: []byte("x"), Mode: 0o600},
	}
	tpl, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(tpl, exampleAnswers, RenderContext{})
	if err != nil {
		t.Fatal(err)
	}
	want := []File{
		{"latin1.txt", 0o644, []byte(latin1)},
		{"logo.png", 0o644, []byte(png)},
		{"odd-mode.txt", 0o644, []byte("x")},
		{"scripts/run.sh", 0o755, []byte("#!/bin/sh\necho payments\n")},
	}
	if len(files) != len(want) {
		t.Fatalf("got %d files, want %d", len(files), len(want))
	}
	for i, w := range want {
		g := files[i]
		if g.Path != w.Path || g.Mode != w.Mode || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("file %d = {%s %v %q}, want {%s %v %q}", i, g.Path, g.Mode, g.Data, w.Path, w.Mode, w.Data)
		}
	}
}

func TestRenderErrorsNameTheFile(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"parse error with line", map[string]string{"dir/x.txt": "ok\nok\n{{ .name "}, `template: skeleton/dir/x.txt:3: unclosed action`},
		{"missing key with line", map[string]string{"x.txt": "a\n{{ .nope }}"}, `template: skeleton/x.txt:2:3: executing "skeleton/x.txt" at <.nope>: map has no entry for key "nope"`},
		{"missing key in a name", map[string]string{"{{ .nope }}.txt": "a"}, `skeleton/{{ .nope }}.txt (name)`},
		{"fail function", map[string]string{"x.txt": `{{ fail "no" }}`}, `skeleton/x.txt:1:3: executing "skeleton/x.txt" at <fail "no">: error calling fail: no`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(skeleton(t, "", tt.files), exampleAnswers, RenderContext{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRenderRefusesEscapes(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"dot-dot in a rendered name", map[string]string{"{{ .x }}/a.txt": ""}, `skeleton/{{ .x }}: rendered path refused: path ".." contains ".."`},
		{"dot-dot built from slashes", map[string]string{"{{ .up }}.txt": ""}, `skeleton/{{ .up }}.txt: rendered path refused: path "a/../../b.txt" contains ".."`},
		{"absolute", map[string]string{"{{ .abs }}": ""}, `skeleton/{{ .abs }}: rendered path refused: path "/etc/passwd" is absolute`},
		{"backslash", map[string]string{"{{ .bs }}.txt": ""}, `skeleton/{{ .bs }}.txt: rendered path refused: path "..\\evil.txt" contains a backslash`},
		{"NUL", map[string]string{"{{ .nul }}.txt": ""}, `contains a NUL byte`},
		{"empty segment", map[string]string{"{{ .slashes }}.txt": ""}, `path "a//b.txt" has an empty folder name`},
		{"into .git", map[string]string{"{{ .git }}/hooks/pre-commit": ""}, `skeleton/{{ .git }}: rendered path refused: path ".Git" writes into the .git folder`},
		{"case collision", map[string]string{"README.md": "", "{{ .readme }}": ""}, `skeleton/README.md and skeleton/{{ .readme }} render to README.md and readme.md, which differ only in case`},
		{"two sources one output", map[string]string{"a.txt": "", "a.txt.tmpl": ""}, `skeleton/a.txt and skeleton/a.txt.tmpl both render to a.txt`},
		{"file and folder", map[string]string{"a": "", "A/b": ""}, `renders to the file a, but skeleton/A/b needs it to be a folder`},
		{"answers file", map[string]string{".goldenpath.yml.tmpl": ""}, `renders to .goldenpath.yml, which clashes with .goldenpath.yml that goldenpath writes itself`},
		{"answers file in another case", map[string]string{".GoldenPath.yml": ""}, `renders to .GoldenPath.yml, which clashes with .goldenpath.yml`},
		{"answers file as a folder", map[string]string{".goldenpath.yml/a.txt": ""}, `renders to .goldenpath.yml/a.txt, which clashes with .goldenpath.yml`},
		{"only the suffix", map[string]string{"{{ .empty }}.tmpl": ""}, `the name is empty once .tmpl is stripped`},
	}
	answers := Answers{"name": "payments", "owner": "team-pay", "x": "..", "up": "a/../../b", "abs": "/etc/passwd", "bs": `..\evil`,
		"nul": "a\x00b", "slashes": "a//b", "git": ".Git", "readme": "readme.md", "empty": ""}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(skeleton(t, "", tt.files), answers, RenderContext{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRenderRefusesSymlinks(t *testing.T) {
	for _, target := range []string{"../../etc/passwd", "README.md"} {
		fsys := fstest.MapFS{
			ManifestFileName:     {Data: []byte(minimalManifest)},
			"skeleton/README.md": {Data: []byte("x")},
			"skeleton/link":      {Data: []byte(target), Mode: fs.ModeSymlink | 0o777},
		}
		tpl, err := Load(fsys)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Render(tpl, exampleAnswers, RenderContext{})
		if err == nil || !strings.Contains(err.Error(), "skeleton/link is a symbolic link") {
			t.Errorf("link to %s: error %v, want a refusal naming skeleton/link", target, err)
		}
	}
}

func TestSafePath(t *testing.T) {
	good := []string{"a", "a/b.txt", ".github/workflows/ci.yml", "a..b", "..a", "dir/.gitignore", "x/.gitkeep", "ü/ñ.md"}
	for _, p := range good {
		if got, err := SafePath(p); err != nil || got != p {
			t.Errorf("SafePath(%q) = %q, %v; want it accepted unchanged", p, got, err)
		}
	}
	bad := []string{"", ".", "..", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "../a", "a/../b", `a\b`, "a\x00b", "C:x", "c:/x",
		".git", "a/.git/config", ".GIT/x", "a\nb", "a\tb"}
	for _, p := range bad {
		if got, err := SafePath(p); err == nil {
			t.Errorf("SafePath(%q) = %q, want an error", p, got)
		}
	}
}

// FuzzSafePath: no panics, and an accepted path is relative, clean and
// cannot escape the root whatever the OS.
func FuzzSafePath(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "/abs", `a\b`, "a//b", ".git/x", "a/./b", "ok.txt", "C:/x", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := SafePath(p)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if got != p {
			t.Fatalf("SafePath rewrote %q to %q", p, got)
		}
		if !fs.ValidPath(got) || got == "." || path.Clean(got) != got {
			t.Fatalf("accepted %q, which is not a clean relative path", got)
		}
		if path.IsAbs(got) || strings.ContainsAny(got, "\\\x00") || !strings.HasPrefix(path.Join("root", got), "root/") {
			t.Fatalf("accepted %q, which escapes the root", got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg == ".." || strings.EqualFold(seg, ".git") {
				t.Fatalf("accepted %q with segment %q", got, seg)
			}
		}
	})
}

func TestRenderLimits(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{`{{ repeat 100000000 "xxxxxxxx" }}`, "repeat would build more than"},
		{`{{ until 1000000000 | len }}`, "until 1000000000 would build more than"},
		{`{{ untilStep 0 1000000000 1 | len }}`, "untilStep would build more than"},
		{`{{ seq 1000000000 }}`, "seq would build more than"},
		{`{{ range until 20 }}{{ repeat 1000000 "x" }}{{ end }}`, "the output is larger than"},
	}
	for _, tt := range tests {
		_, err := Render(skeleton(t, "", map[string]string{"big.txt": tt.tmpl}), exampleAnswers, RenderContext{})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "skeleton/big.txt") {
			t.Errorf("%s: error %v, want %q naming skeleton/big.txt", tt.tmpl, err, tt.want)
		}
	}
	many := map[string]string{}
	for i := range MaxFiles + 1 {
		many[fmt.Sprintf("d%d/f%d.txt", i%100, i)] = "x"
	}
	if _, err := Render(skeleton(t, "", many), exampleAnswers, RenderContext{}); err == nil || !strings.Contains(err.Error(), "the template renders more than 10000 files") {
		t.Errorf("%d files: error %v, want the file limit", len(many), err)
	}
	huge := map[string]string{}
	for i := range MaxTotalSize/MaxFileSize + 1 {
		huge[fmt.Sprintf("f%d.txt", i)] = fmt.Sprintf(`{{ range until %d }}{{ repeat 1048576 "x" }}{{ end }}`, MaxFileSize>>20)
	}
	if _, err := Render(skeleton(t, "", huge), exampleAnswers, RenderContext{}); err == nil || !strings.Contains(err.Error(), "bytes in all") {
		t.Errorf("%d files of %d bytes: error %v, want the total size limit", len(huge), MaxFileSize, err)
	}
	got := renderMap(t, skeleton(t, "", map[string]string{"ok.txt": `{{ repeat 3 "ab" }} {{ until 3 }} {{ seq 3 }} {{ untilStep 0 6 2 }}`}))
	if got["ok.txt"] != "ababab [0 1 2] 1 2 3 [0 2 4]" {
		t.Errorf("capped generators changed behaviour: %q", got["ok.txt"])
	}
}

// TestRenderFromDisk renders a skeleton on a real file system: the
// executable bit survives and a symlink is refused, as os.DirFS reports them.
func TestRenderFromDisk(t *testing.T) {
	dir := t.TempDir()
	write := func(p, data string, mode os.FileMode) {
		t.Helper()
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil { // umask
			t.Fatal(err)
		}
	}
	write(ManifestFileName, minimalManifest, 0o644)
	write("skeleton/bin/{{ .name }}.sh", "#!/bin/sh\necho {{ .owner }}\n", 0o755)
	write("skeleton/README.md", "# {{ .name }}\n", 0o644)
	tpl, err := Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(tpl, exampleAnswers, RenderContext{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[1].Path != "bin/payments.sh" || files[1].Mode != 0o755 || string(files[1].Data) != "#!/bin/sh\necho team-pay\n" || files[0].Mode != 0o644 {
		t.Errorf("got %+v", files)
	}
	for _, target := range []string{"/etc/passwd", "README.md"} {
		link := filepath.Join(dir, "skeleton", "link")
		_ = os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		_, err = Render(tpl, exampleAnswers, RenderContext{})
		if err == nil || !strings.Contains(err.Error(), "skeleton/link is a symbolic link") {
			t.Errorf("symlink to %s: error %v", target, err)
		}
	}
}
