// Package archgraph draws orderflow's package import graph for
// docs/architecture.md and checks its layering, the way the lifecycle
// package draws the lifecycle diagrams: the picture is generated (by
// `go run ./cmd/diagrams`) from what `go list` says the packages import, and
// a test fails when the committed page is out of date.
//
// Only imports between the module's own packages count; test files and test
// packages are left out. The layering it checks: no package imports one that
// imports it back (Go refuses such a cycle anyway), and lifecycle, the rules
// as data, imports nothing of the module.
//
// It uses the standard library only, so that loading the graph never needs
// the packages it draws to compile.
package archgraph

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Module is orderflow's module path; package paths are shown relative to it.
const Module = "github.com/orderflow/orderflow"

// Leaf is the package at the bottom of the layers: it must import nothing of
// the module.
const Leaf = "lifecycle"

// Package is one package as `go list -json` describes it; only these two
// fields are read.
type Package struct {
	ImportPath string
	Imports    []string
}

// Graph is the import graph between a module's packages, by paths relative
// to the module ("workflows", "internal/store"; the module's root package
// would be ".").
type Graph struct {
	// Packages is every package of the module, sorted.
	Packages []string
	// Imports maps a package to the module's packages it imports, sorted.
	Imports map[string][]string
}

// New builds the graph of module from its packages: imports from outside the
// module are dropped, and so are test variants of packages (which `go list`
// only reports when asked to) should any be given.
func New(module string, pkgs []Package) Graph {
	g := Graph{Imports: map[string][]string{}}
	for _, p := range pkgs {
		if isTestVariant(p.ImportPath) {
			continue
		}
		from, ok := relative(module, p.ImportPath)
		if !ok {
			continue
		}
		if !slices.Contains(g.Packages, from) {
			g.Packages = append(g.Packages, from)
		}
		for _, imp := range p.Imports {
			to, ok := relative(module, imp)
			if ok && to != from && !isTestVariant(imp) && !slices.Contains(g.Imports[from], to) {
				g.Imports[from] = append(g.Imports[from], to)
			}
		}
	}
	// An import of a package that was not listed is still a package of the
	// module; list it rather than draw an edge to nowhere.
	for _, tos := range g.Imports {
		for _, to := range tos {
			if !slices.Contains(g.Packages, to) {
				g.Packages = append(g.Packages, to)
			}
		}
	}
	slices.Sort(g.Packages)
	for _, tos := range g.Imports {
		slices.Sort(tos)
	}
	return g
}

func relative(module, path string) (string, bool) {
	if path == module {
		return ".", true
	}
	rest, ok := strings.CutPrefix(path, module+"/")
	return rest, ok && rest != ""
}

// isTestVariant tells the packages `go list -test` adds: "p [p.test]",
// "p_test [p.test]" and the test binary "p.test".
func isTestVariant(path string) bool {
	return strings.Contains(path, " ") || strings.HasSuffix(path, ".test") || strings.HasSuffix(path, "_test")
}

// importers is the reverse of Imports.
func (g Graph) importers() map[string][]string {
	out := map[string][]string{}
	for _, from := range g.Packages {
		for _, to := range g.Imports[from] {
			out[to] = append(out[to], from)
		}
	}
	return out
}

// Connected is the packages that import or are imported by another package
// of the module, sorted: the ones the picture draws.
func (g Graph) Connected() []string {
	importers := g.importers()
	var out []string
	for _, p := range g.Packages {
		if len(g.Imports[p]) > 0 || len(importers[p]) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// Isolated is the packages that neither import nor are imported by another
// package of the module (test harnesses, a package of tests only), sorted.
func (g Graph) Isolated() []string {
	connected := g.Connected()
	var out []string
	for _, p := range g.Packages {
		if !slices.Contains(connected, p) {
			out = append(out, p)
		}
	}
	return out
}

// Depth is how many layers stand under each package: 0 for a package that
// imports nothing of the module, otherwise one more than the deepest package
// it imports. An import that closes a cycle is not followed.
func (g Graph) Depth() map[string]int {
	depth := map[string]int{}
	visiting := map[string]bool{}
	var visit func(p string) int
	visit = func(p string) int {
		if d, ok := depth[p]; ok {
			return d
		}
		visiting[p] = true
		d := 0
		for _, to := range g.Imports[p] {
			if visiting[to] {
				continue
			}
			d = max(d, visit(to)+1)
		}
		visiting[p] = false
		depth[p] = d
		return d
	}
	for _, p := range g.Packages {
		visit(p)
	}
	return depth
}

// Layers is the drawn (connected) packages by depth, bottom layer first,
// each layer sorted.
func (g Graph) Layers() [][]string {
	depth := g.Depth()
	var layers [][]string
	for _, p := range g.Connected() {
		d := depth[p]
		for len(layers) <= d {
			layers = append(layers, nil)
		}
		layers[d] = append(layers[d], p)
	}
	return layers
}

// Mermaid renders the graph as a Mermaid flowchart drawn bottom to top: a
// package stands above every package it imports, so lifecycle is at the
// bottom and what assembles the whole system is on top. An arrow goes up
// from a package to each package that imports it.
//
// Nodes are declared layer by layer (by Depth) and edges in sorted order, so
// the output depends only on the graph. Packages with no edge at all are not
// drawn; a comment names them.
func (g Graph) Mermaid() string {
	ids := g.nodeIDs()
	var b strings.Builder
	b.WriteString("flowchart BT\n")
	for d, layer := range g.Layers() {
		fmt.Fprintf(&b, "    %%%% layer %d\n", d)
		for _, p := range layer {
			fmt.Fprintf(&b, "    %s[\"%s\"]\n", ids[p], label(p))
		}
	}
	importers := g.importers()
	depth := g.Depth()
	for _, to := range g.Packages {
		for _, from := range importers[to] {
			fmt.Fprintf(&b, "    %s %s %s\n", ids[to], arrow(depth[from]-depth[to]), ids[from])
		}
	}
	if isolated := g.Isolated(); len(isolated) > 0 {
		fmt.Fprintf(&b, "    %%%% not drawn, no import to or from the module's packages: %s\n", strings.Join(isolated, ", "))
	}
	return b.String()
}

// arrow is a Mermaid arrow that spans the given number of layers (at least
// one): each dash past the second asks for one more rank. With every edge as
// long as the layers it crosses, the layout puts each package on its layer
// instead of floating a low package (internal/config) up beside the only
// packages that import it.
func arrow(layers int) string {
	return strings.Repeat("-", max(layers, 1)+1) + ">"
}

// nodeIDs gives each drawn package a Mermaid node id made of letters, digits
// and underscores, prefixed so that no id is a keyword ("end") or starts
// with the letters Mermaid reads as an edge end ("o", "x"). Two paths that
// would give the same id (a/b and a_b) are told apart by a number, in
// sorted order.
func (g Graph) nodeIDs() map[string]string {
	ids := map[string]string{}
	taken := map[string]bool{}
	for _, p := range g.Packages {
		var b strings.Builder
		b.WriteString("pkg_")
		for _, r := range p {
			if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
		id := b.String()
		for n := 2; taken[id]; n++ {
			id = fmt.Sprintf("%s_%d", b.String(), n)
		}
		taken[id] = true
		ids[p] = id
	}
	return ids
}

// label is a package path as a quoted Mermaid label: import paths hold no
// quotes, but escape them all the same.
func label(p string) string {
	return strings.ReplaceAll(p, `"`, "#quot;")
}

// Check reports every way the graph breaks orderflow's layering: a package
// that imports a package that (transitively) imports it back, and a leaf
// package (lifecycle) that imports anything of the module. nil means the
// layering holds.
func (g Graph) Check(leaves ...string) error {
	var errs []error
	for _, leaf := range leaves {
		if !slices.Contains(g.Packages, leaf) {
			errs = append(errs, fmt.Errorf("the leaf package %s is not in the module", leaf))
			continue
		}
		if imports := g.Imports[leaf]; len(imports) > 0 {
			errs = append(errs, fmt.Errorf("%s must import nothing of the module, but imports %s", leaf, strings.Join(imports, ", ")))
		}
	}
	for _, from := range g.Packages {
		for _, to := range g.Imports[from] {
			if back := g.path(to, from); back != nil {
				errs = append(errs, fmt.Errorf("%s imports %s, which imports it back: %s", from, to, strings.Join(back, " -> ")))
			}
		}
	}
	return errors.Join(errs...)
}

// path is a shortest chain of imports from one package to another, both
// included, or nil when there is none.
func (g Graph) path(from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, next := range g.Imports[p] {
			if _, seen := prev[next]; !seen {
				prev[next] = p
				queue = append(queue, next)
			}
		}
	}
	return nil
}
