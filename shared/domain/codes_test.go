package domain_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// An error code is a contract with API clients: it has one meaning and one
// status, and it is declared once, as a package-level error value, so that
// handlers name errors rather than spell codes. This reads every error
// declared under shared/ (composite literals of Error, and the Invalid and
// TooMany constructors) and checks both.
func TestErrorCodesHaveOneKindAndOneDeclaration(t *testing.T) {
	kinds := map[string]map[string]bool{} // code → kinds
	var inline []string
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		// Code literals inside package-level var declarations are
		// declarations; anywhere else they are codes spelt inline.
		declared := map[ast.Node]bool{}
		for _, decl := range f.Decls {
			if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
				ast.Inspect(g, func(n ast.Node) bool { declared[n] = true; return true })
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			code, kind := errorCode(n)
			if code == "" {
				return true
			}
			if kinds[code] == nil {
				kinds[code] = map[string]bool{}
			}
			kinds[code][kind] = true
			if !declared[n] && code != "internal" {
				inline = append(inline, fset.Position(n.Pos()).String()+": "+code)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) < 40 {
		t.Fatalf("found %d error codes: the scan is not reading the declarations", len(kinds))
	}
	for code, ks := range kinds {
		if len(ks) != 1 {
			t.Errorf("error code %q has %d kinds (statuses): %v", code, len(ks), ks)
		}
	}
	for _, at := range inline {
		t.Errorf("an error code spelt inline, not declared as an error value: %s", at)
	}
}

// errorCode reads the code and kind of an error declaration: Error{Kind: K,
// Code: "c"}, Invalid("c", …) (KindInvalid) or TooMany("c", …) (KindTooMany).
func errorCode(n ast.Node) (code, kind string) {
	switch n := n.(type) {
	case *ast.CompositeLit:
		if !isName(n.Type, "Error") {
			return "", ""
		}
		for _, e := range n.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			switch key := kv.Key.(*ast.Ident); {
			case key == nil:
			case key.Name == "Code":
				if lit, ok := kv.Value.(*ast.BasicLit); ok {
					code, _ = strconv.Unquote(lit.Value)
				}
			case key.Name == "Kind":
				kind = exprName(kv.Value)
			}
		}
		return code, kind
	case *ast.CallExpr:
		for fn, k := range map[string]string{"Invalid": "KindInvalid", "TooMany": "KindTooMany"} {
			if isName(n.Fun, fn) && len(n.Args) > 0 {
				if lit, ok := n.Args[0].(*ast.BasicLit); ok {
					code, _ = strconv.Unquote(lit.Value)
					return code, k
				}
			}
		}
	}
	return "", ""
}

func isName(e ast.Expr, name string) bool { return exprName(e) == name }

func exprName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}
