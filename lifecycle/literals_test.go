package lifecycle

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

// sameWordOtherMeaning are the string literals outside this package that
// spell a lifecycle name but mean something else, by file: each says what.
var sameWordOtherMeaning = map[string][]string{
	"api/actions.go":                {"completed"},                       // Temporal's "workflow execution already completed"
	"api/list.go":                   {"supplier"},                        // the list's ?supplier= query parameter
	"api/member_dates.go":           {"offer_expired"},                   // an email purpose
	"api/suppliers.go":              {"active"},                          // a supplier's active flag
	"api/supplier_bodies.go":        {"active"},                          // a supplier's active flag
	"internal/payments/payments.go": {"cancelled"},                       // a payment's status at the provider
	"internal/payments/sandbox.go":  {"cancelled"},                       // a payment's status at the provider
	"internal/pdf/document.go":      {"supplier"},                        // a document party's heading
	"internal/store/offers.go":      {"decline"},                         // the name of a record in an error
	"internal/store/suppliers.go":   {"supplier"},                        // the name of a record in an error
	"internal/load/temporal.go":     {"completed"},                       // the raw Temporal baseline workflow's end
	"internal/load/scripts.go":      {"marketplace", "submit", "client"}, // JSON keys of the API's bodies
	"internal/devserver/config.go":  {"active"},                          // the embedded Temporal server's cluster name
	"cmd/loadtest/options.go":       {"supplier"},                        // the -supplier flag (a supplier id)
	"starter/commands.go":           {"create", "submit", "supplier"},    // a sub-command, flags, a JSON key
	"starter/demo.go":               {"submit"},                          // a JSON key of the order body
	"starter/main.go":               {"create"},                          // a sub-command's name
	"starter/samples.go":            {"client"},                          // a JSON key of the order body
	"workflows/marketplace.go":      {"rejected"},                        // a return request's decision
	"workflows/member_calendar.go":  {"offer_expired"},                   // an email purpose
	"workflows/member_invoices.go":  {"invoice_issued"},                  // an email purpose
	"workflows/member_types.go":     {"cancelled"},                       // a schedule entry's status
}

// No status, role, action or flow name is written as a string literal
// outside this package and the tests: the rest of orderflow names them by
// their constants, so renaming or adding one is an edit here. A SQL literal
// quoting a name ('pending') counts too.
func TestNamesAreWrittenOnlyHere(t *testing.T) {
	names := map[string]bool{string(Create): true, string(NoLongerAvailable): true}
	for _, f := range Flows {
		names[f.Name] = true
		for _, s := range f.Statuses {
			names[string(s)] = true
		}
		for _, a := range f.Actions() {
			names[string(a)] = true
		}
	}
	for _, r := range Roles {
		names[string(r)] = true
	}
	for _, a := range EngineActions {
		names[string(a)] = true
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	checked, seen := 0, map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules", "lifecycle", "bin", "data":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for name := range names {
				if v != name && !strings.Contains(v, "'"+name+"'") {
					continue
				}
				if containsString(sameWordOtherMeaning[filepath.ToSlash(rel)], name) {
					seen[filepath.ToSlash(rel)+" "+name] = true
					continue
				}
				pos := fset.Position(lit.Pos())
				t.Errorf("%s:%d:%d spells the lifecycle name %q: use its constant from package lifecycle", rel, pos.Line, pos.Column, name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked under %s", checked, root)
	}
	// The list stays true: an entry whose word is no longer there goes.
	for file, words := range sameWordOtherMeaning {
		for _, w := range words {
			if !seen[file+" "+w] {
				t.Errorf("sameWordOtherMeaning lists %q in %s, which no longer has it", w, file)
			}
		}
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
