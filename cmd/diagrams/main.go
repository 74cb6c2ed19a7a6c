// Command diagrams writes the lifecycle diagrams (docs/lifecycle-<flow>.md)
// from the lifecycle tables and refreshes the README's copy of them, so the
// pictures never drift from what the workflows enforce. It also redraws the
// package import graph in docs/architecture.md from `go list`, and fails when
// that graph breaks the layering (see internal/archgraph). Run it from the
// repository root after changing a table or what a package imports:
//
//	go run ./cmd/diagrams
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orderflow/orderflow/internal/archgraph"
	"github.com/orderflow/orderflow/lifecycle"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	if err := write(*root); err != nil {
		fmt.Fprintln(os.Stderr, "diagrams:", err)
		os.Exit(1)
	}
}

func write(root string) error {
	for _, t := range lifecycle.Flows {
		path := filepath.Join(root, lifecycle.LifecycleDocPath(t))
		if err := os.WriteFile(path, []byte(lifecycle.LifecycleDoc(t)), 0o644); err != nil {
			return fmt.Errorf("write %s diagram: %w", t.Name, err)
		}
	}
	readme := filepath.Join(root, "README.md")
	text, err := os.ReadFile(readme)
	if err != nil {
		return fmt.Errorf("read README: %w", err)
	}
	updated, err := lifecycle.WithReadmeDiagrams(string(text))
	if err != nil {
		return fmt.Errorf("README: %w", err)
	}
	if updated != string(text) {
		if err := os.WriteFile(readme, []byte(updated), 0o644); err != nil {
			return err
		}
	}
	return writeImportGraph(root)
}

// writeImportGraph redraws the import graph in docs/architecture.md, then
// reports a broken layering: the page shows it, the exit status says it.
func writeImportGraph(root string) error {
	pkgs, err := archgraph.Load(root)
	if err != nil {
		return err
	}
	g := archgraph.New(archgraph.Module, pkgs)
	path := filepath.Join(root, archgraph.DocPath)
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read the architecture page: %w", err)
	}
	updated, err := archgraph.WithImportGraph(string(text), g)
	if err != nil {
		return fmt.Errorf("%s: %w", archgraph.DocPath, err)
	}
	if updated != string(text) {
		if err := os.WriteFile(path, []byte(updated), 0o644); err != nil {
			return err
		}
	}
	if err := g.Check(archgraph.Leaf); err != nil {
		return fmt.Errorf("the import graph breaks the layering:\n%w", err)
	}
	return nil
}
