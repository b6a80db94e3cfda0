package template

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/Masterminds/sprig/v3"
)

// removedFuncs are the sprig functions that HermeticTxtFuncMap still
// offers but that read the clock, randomness, the OS or the local time
// zone, or that make keys and certificates (random). The same template and
// answers must give the same bytes forever: upgrades re-render old versions
// and merge against them.
var removedFuncs = []string{
	// Already gone from the hermetic map; listed so a sprig upgrade that
	// changes its list cannot bring them back.
	"env", "expandenv", "getHostByName",
	"now", "date", "dateInZone", "date_in_zone", "dateModify", "date_modify",
	"htmlDate", "htmlDateInZone",
	"randAlphaNum", "randAlpha", "randAscii", "randNumeric", "randBytes", "uuidv4",
	// Clock: relative to time.Now.
	"ago", "durationRound",
	// Local time zone (TZ) and clock arithmetic.
	"toDate", "mustToDate", "mustDateModify", "must_date_modify", "unixEpoch",
	// Randomness.
	"randInt", "shuffle", "bcrypt", "htpasswd", "encryptAES", "decryptAES",
	"genPrivateKey", "derivePassword", "buildCustomCert", "genCA", "genCAWithKey",
	"genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
	// Host OS path rules differ between machines; use base/dir/clean/ext.
	"osBase", "osClean", "osDir", "osExt", "osIsAbs",
}

// Limits that keep one bad template from exhausting the memory of the
// server that renders it for every request and upgrade.
const (
	// MaxFileSize is the largest rendered file.
	MaxFileSize = 16 << 20
	// MaxFiles is the most files a render may produce: a repository is
	// created with all of them in one commit.
	MaxFiles = 10000
	// MaxTotalSize bounds all the files of one render together.
	MaxTotalSize = 100 << 20
	// maxGenerated bounds what repeat, until, untilStep and seq may build.
	maxGenerated = 1 << 20
)

// FuncMap returns the functions templates may call: sprig's hermetic set
// minus everything listed in removedFuncs, with the generators capped.
func FuncMap() texttemplate.FuncMap {
	fm := sprig.HermeticTxtFuncMap()
	for _, name := range removedFuncs {
		delete(fm, name)
	}
	// sprig's keys and values walk a Go map, whose order changes from run
	// to run: sorted here (keys per map, values by their keys), so they
	// render the same bytes every time.
	fm["keys"] = func(dicts ...map[string]any) []string {
		out := []string{}
		for _, d := range dicts {
			out = append(out, sortedKeys(d)...)
		}
		return out
	}
	fm["values"] = func(dict map[string]any) []any {
		out := make([]any, 0, len(dict))
		for _, k := range sortedKeys(dict) {
			out = append(out, dict[k])
		}
		return out
	}
	// printf's %p prints a memory address: different on every run.
	fm["printf"] = func(format string, args ...any) (string, error) {
		if hasPointerVerb(format) {
			return "", fmt.Errorf("printf: %%p prints a memory address, which differs on every render")
		}
		return fmt.Sprintf(format, args...), nil
	}
	repeat := fm["repeat"].(func(int, string) string)
	fm["repeat"] = func(count int, str string) (string, error) {
		if count > 0 && len(str) > 0 && count > maxGenerated/len(str) {
			return "", fmt.Errorf("repeat would build more than %d bytes", maxGenerated)
		}
		return repeat(count, str), nil
	}
	until := fm["until"].(func(int) []int)
	fm["until"] = func(count int) ([]int, error) {
		if count > maxGenerated || count < -maxGenerated {
			return nil, fmt.Errorf("until %d would build more than %d numbers", count, maxGenerated)
		}
		return until(count), nil
	}
	untilStep := fm["untilStep"].(func(int, int, int) []int)
	fm["untilStep"] = func(start, stop, step int) ([]int, error) {
		if step != 0 && (stop-start)/step > maxGenerated {
			return nil, fmt.Errorf("untilStep would build more than %d numbers", maxGenerated)
		}
		return untilStep(start, stop, step), nil
	}
	seq := fm["seq"].(func(...int) string)
	fm["seq"] = func(params ...int) (string, error) {
		lo, hi, step := 1, 0, 1
		switch len(params) {
		case 1:
			hi = params[0]
		case 2:
			lo, hi = params[0], params[1]
		case 3:
			lo, step, hi = params[0], params[1], params[2]
		}
		if step == 0 {
			step = 1
		}
		if n := (hi - lo) / step; n > maxGenerated || n < -maxGenerated {
			return "", fmt.Errorf("seq would build more than %d numbers", maxGenerated)
		}
		return seq(params...), nil
	}
	return fm
}

// hasPointerVerb reports whether a fmt format string uses the %p verb.
func hasPointerVerb(format string) bool {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		// Skip flags, width, precision and argument indexes up to the verb.
		for i++; i < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[i]) >= 0; i++ {
		}
		if i < len(format) && format[i] == 'p' {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sharedFuncMap is FuncMap, built once per process.
var sharedFuncMap = sync.OnceValue(FuncMap)

// baseTemplate carries the function map, given once per process: handing a
// template sprig's ~200 functions (reflection, two map copies) costs more
// than parsing and executing a skeleton file. A render clones it once and
// replaces the placeholder tickFunc with its own deadline check.
var baseTemplate = sync.OnceValue(func() *texttemplate.Template {
	return texttemplate.New("").
		Option("missingkey=error").
		Funcs(sharedFuncMap()).
		Funcs(texttemplate.FuncMap{tickFunc: func() (string, error) { return "", nil }})
})

// builtinNames are text/template's own functions, which parse.Parse must
// know to accept a template (text/template passes its unexported list).
var builtinNames = map[string]any{
	"and": true, "call": true, "html": true, "index": true, "slice": true, "js": true, "len": true, "not": true,
	"or": true, "print": true, "printf": true, "println": true, "urlquery": true,
	"eq": true, "ge": true, "gt": true, "le": true, "lt": true, "ne": true,
}
