// Command sizes reports the files under internal/ over 600 lines and the
// functions over 100 lines (the project's limits). In a function, the lines
// of declarative tables (slice and map literals, such as a table-driven
// test's cases) do not count. It exits 1 when anything is over.
//
//	go run ./.ci/sizes
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	maxFileLines = 600
	maxFuncLines = 100
)

func main() {
	root := "internal"
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	var over []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		path = filepath.ToSlash(path)
		if n := bytes.Count(src, []byte("\n")); n > maxFileLines {
			over = append(over, report(path, fmt.Sprintf("file has %d lines", n)))
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if logic := n - tableLines(fset, fn.Body); logic > maxFuncLines {
				over = append(over, report(path+":"+funcName(fn), fmt.Sprintf("function has %d lines (%d outside tables)", n, logic)))
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sizes:", err)
		os.Exit(2)
	}
	sort.Strings(over)
	for _, o := range over {
		fmt.Println(o)
	}
	if len(over) > 0 {
		os.Exit(1)
	}
}

func report(what, size string) string { return what + ": " + size }

// tableLines counts the lines of the outermost slice and map literals in
// body: data, not logic.
func tableLines(fset *token.FileSet, body *ast.BlockStmt) int {
	n := 0
	ast.Inspect(body, func(node ast.Node) bool {
		lit, ok := node.(*ast.CompositeLit)
		if !ok {
			return true
		}
		switch lit.Type.(type) {
		case *ast.ArrayType, *ast.MapType:
			n += fset.Position(lit.End()).Line - fset.Position(lit.Pos()).Line + 1
			return false
		}
		return true
	})
	return n
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}
