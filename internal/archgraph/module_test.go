package archgraph

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The real module's graph, listed once for the tests below.
var (
	moduleOnce  sync.Once
	moduleRoot  string
	moduleGraph Graph
	moduleErr   error
)

func realGraph(t *testing.T) (string, Graph) {
	t.Helper()
	moduleOnce.Do(func() {
		moduleRoot, moduleErr = ModuleRoot(".")
		if moduleErr != nil {
			return
		}
		if moduleErr = statSources(moduleRoot); moduleErr != nil {
			return
		}
		var pkgs []Package
		pkgs, moduleErr = Load(moduleRoot)
		moduleGraph = New(Module, pkgs)
	})
	if moduleErr != nil {
		t.Fatal(moduleErr)
	}
	return moduleRoot, moduleGraph
}

// statSources looks at every directory and Go file of the module, the way
// `./...` walks it. `go list` reads them in a child process, which go test's
// cache does not see; looking here makes a change to any of them (an import,
// a package added or removed) rerun these tests instead of replaying a cached
// pass.
func statSources(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") || name == "go.mod" {
			_, err = os.Stat(path)
		}
		return err
	})
}

// The committed picture must be what `go list` says now.
func TestArchitectureDocIsCurrent(t *testing.T) {
	const fix = "run `go run ./cmd/diagrams`"
	root, g := realGraph(t)
	committed, err := os.ReadFile(filepath.Join(root, DocPath))
	if err != nil {
		t.Fatalf("%v (%s)", err, fix)
	}
	updated, err := WithImportGraph(string(committed), g)
	if err != nil {
		t.Fatal(err)
	}
	if updated != string(committed) {
		t.Errorf("%s's import graph differs from what the packages import: %s", DocPath, fix)
	}
}

// lifecycle is the leaf, and no package imports one that imports it back.
func TestTheModuleIsLayered(t *testing.T) {
	_, g := realGraph(t)
	if imports := g.Imports[Leaf]; len(imports) > 0 {
		t.Errorf("%s imports %q of the module; it must import nothing of it", Leaf, imports)
	}
	if err := g.Check(Leaf); err != nil {
		t.Error(err)
	}
	if layers := g.Layers(); len(layers) == 0 || !slices.Contains(layers[0], Leaf) {
		t.Errorf("%s is not on the bottom layer: %q", Leaf, layers)
	}
	for _, p := range []string{"workflows", "activities", "api", "worker", "internal/store"} {
		if len(g.Imports[p]) == 0 {
			t.Errorf("the graph has no import of %s: is go list reading the module? %v", p, g.Packages)
		}
	}
}

// Module must be the module go.mod declares.
func TestModuleIsGoModsModule(t *testing.T) {
	root, _ := realGraph(t)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(mod)) {
		if path, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			if strings.Trim(path, `"`) != Module {
				t.Fatalf("go.mod declares module %s, archgraph.Module is %s", path, Module)
			}
			return
		}
	}
	t.Fatal("go.mod declares no module")
}
