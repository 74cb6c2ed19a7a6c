// Command diagrams writes the lifecycle diagrams (docs/lifecycle-<flow>.md)
// from the lifecycle tables and refreshes the README's copy of them, so the
// pictures never drift from what the workflows enforce. Run it from the
// repository root after changing a table:
//
//	go run ./cmd/diagrams
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

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
	if updated == string(text) {
		return nil
	}
	return os.WriteFile(readme, []byte(updated), 0o644)
}
