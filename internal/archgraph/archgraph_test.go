package archgraph

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const tinyModule = "example.com/tiny"

// tiny is a hand-made module: rules at the bottom, a flow on them, a command
// on top, plus what New must leave out or tell apart.
func tiny() []Package {
	return []Package{
		{ImportPath: tinyModule + "/cmd/run", Imports: []string{"fmt", tinyModule + "/flow", tinyModule + "/rules", tinyModule + "/internal/end"}},
		{ImportPath: tinyModule + "/flow", Imports: []string{"context", "go.temporal.io/sdk/workflow", tinyModule + "/rules", tinyModule + "/rules", tinyModule + "/flow"}},
		{ImportPath: tinyModule + "/rules", Imports: []string{"slices"}},
		{ImportPath: tinyModule + "/internal/end", Imports: []string{tinyModule + "/rules"}},
		{ImportPath: tinyModule + "/tools", Imports: []string{"os"}},
		// What `go list -test` would add: test variants and their imports.
		{ImportPath: tinyModule + "/flow [" + tinyModule + "/flow.test]", Imports: []string{tinyModule + "/tools"}},
		{ImportPath: tinyModule + "/flow_test [" + tinyModule + "/flow.test]", Imports: []string{tinyModule + "/cmd/run"}},
		{ImportPath: tinyModule + "/flow.test", Imports: []string{tinyModule + "/flow_test [" + tinyModule + "/flow.test]"}},
		// Another module whose path starts with this one's.
		{ImportPath: tinyModule + "extra/x", Imports: []string{tinyModule + "/rules"}},
	}
}

func TestNewKeepsTheModulesOwnImports(t *testing.T) {
	g := New(tinyModule, tiny())
	if want := []string{"cmd/run", "flow", "internal/end", "rules", "tools"}; !slices.Equal(g.Packages, want) {
		t.Errorf("packages %q, want %q", g.Packages, want)
	}
	want := map[string][]string{
		"cmd/run":      {"flow", "internal/end", "rules"},
		"flow":         {"rules"},
		"internal/end": {"rules"},
	}
	for _, p := range g.Packages {
		if !slices.Equal(g.Imports[p], want[p]) {
			t.Errorf("%s imports %q, want %q", p, g.Imports[p], want[p])
		}
	}
	if got := g.Isolated(); !slices.Equal(got, []string{"tools"}) {
		t.Errorf("isolated %q, want tools", got)
	}
}

func TestMermaidOfATinyGraph(t *testing.T) {
	want := `flowchart BT
    %% layer 0
    pkg_rules["rules"]
    %% layer 1
    pkg_flow["flow"]
    pkg_internal_end["internal/end"]
    %% layer 2
    pkg_cmd_run["cmd/run"]
    pkg_flow --> pkg_cmd_run
    pkg_internal_end --> pkg_cmd_run
    pkg_rules ---> pkg_cmd_run
    pkg_rules --> pkg_flow
    pkg_rules --> pkg_internal_end
    %% not drawn, no import to or from the module's packages: tools
`
	g := New(tinyModule, tiny())
	if got := g.Mermaid(); got != want {
		t.Fatalf("Mermaid:\n%s\nwant:\n%s", got, want)
	}
	// The order packages come in does not matter.
	reversed := tiny()
	slices.Reverse(reversed)
	if got := New(tinyModule, reversed).Mermaid(); got != want {
		t.Fatalf("Mermaid depends on the order of the packages:\n%s", got)
	}
}

func TestLayersRankByDepth(t *testing.T) {
	g := New(tinyModule, tiny())
	want := [][]string{{"rules"}, {"flow", "internal/end"}, {"cmd/run"}}
	if got := g.Layers(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("layers %q, want %q", got, want)
	}
	if d := g.Depth()["tools"]; d != 0 {
		t.Errorf("tools at depth %d", d)
	}
}

func TestNodeIDsAreSafeAndDistinct(t *testing.T) {
	g := Graph{Packages: []string{".", "a-b", "a/b", "a_b", "end", "o", "x.y/z", "ünï"}}
	ids := g.nodeIDs()
	seen := map[string]string{}
	for _, p := range g.Packages {
		id := ids[p]
		if !strings.HasPrefix(id, "pkg_") || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			t.Errorf("%q has the id %q", p, id)
		}
		if other, ok := seen[id]; ok {
			t.Errorf("%q and %q share the id %q", p, other, id)
		}
		seen[id] = p
	}
	if ids["a-b"] != "pkg_a_b" || ids["a/b"] != "pkg_a_b_2" || ids["a_b"] != "pkg_a_b_3" {
		t.Errorf("ids %v", ids)
	}
	if got := label(`a"b`); got != "a#quot;b" {
		t.Errorf("label %q", got)
	}
}

func TestArrowsSpanTheirLayers(t *testing.T) {
	for layers, want := range map[int]string{0: "-->", 1: "-->", 2: "--->", 4: "----->"} {
		if got := arrow(layers); got != want {
			t.Errorf("arrow(%d) = %q, want %q", layers, got, want)
		}
	}
}

func TestCheckAcceptsALayeredGraph(t *testing.T) {
	if err := New(tinyModule, tiny()).Check("rules"); err != nil {
		t.Fatal(err)
	}
}

func TestCheckReportsALeafThatImports(t *testing.T) {
	err := New(tinyModule, tiny()).Check("flow")
	if err == nil || err.Error() != "flow must import nothing of the module, but imports rules" {
		t.Fatalf("Check: %v", err)
	}
	err = New(tinyModule, tiny()).Check("nowhere")
	if err == nil || !strings.Contains(err.Error(), "nowhere is not in the module") {
		t.Fatalf("Check of a missing leaf: %v", err)
	}
}

func TestCheckReportsBackEdges(t *testing.T) {
	g := Graph{
		Packages: []string{"a", "b", "c", "d"},
		Imports:  map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a", "d"}},
	}
	err := g.Check("d")
	if err == nil {
		t.Fatal("a cycle was accepted")
	}
	want := []string{
		"a imports b, which imports it back: b -> c -> a",
		"b imports c, which imports it back: c -> a -> b",
		"c imports a, which imports it back: a -> b -> c",
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Fatalf("Check:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	// Drawing and layering a cyclic graph still ends.
	if layers := g.Layers(); len(layers) == 0 {
		t.Fatal("no layers")
	}
	_ = g.Mermaid()
}

func TestWithImportGraphNeedsItsMarkers(t *testing.T) {
	g := New(tinyModule, tiny())
	if _, err := WithImportGraph("# a page without markers\n", g); err == nil {
		t.Fatal("a page without markers was accepted")
	}
	if _, err := WithImportGraph(GraphEnd+"\n"+GraphBegin+"\n", g); err == nil {
		t.Fatal("markers out of order were accepted")
	}
	in := "before\n" + GraphBegin + "\nstale\n" + GraphEnd + "\nafter\n"
	out, err := WithImportGraph(in, g)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "stale") || !strings.HasPrefix(out, "before\n"+GraphBegin+"\n") ||
		!strings.HasSuffix(out, GraphEnd+"\nafter\n") || !strings.Contains(out, "```mermaid\n"+g.Mermaid()+"```\n") ||
		!strings.Contains(out, "- layer 1: `flow`, `internal/end`\n") || !strings.Contains(out, "them: `tools`.") {
		t.Fatalf("section:\n%s", out)
	}
	again, err := WithImportGraph(out, g)
	if err != nil || again != out {
		t.Fatalf("rewriting a current page changed it:\n%s", again)
	}
}

func TestDecodeReadsGoListsStream(t *testing.T) {
	out := `{
	"Dir": "/src/m/a",
	"ImportPath": "example.com/m/a",
	"Name": "a",
	"Imports": ["example.com/m/b", "fmt"],
	"TestImports": ["example.com/m/c"]
}
{
	"ImportPath": "example.com/m/b"
}
`
	pkgs, err := decode([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Package{{ImportPath: "example.com/m/a", Imports: []string{"example.com/m/b", "fmt"}}, {ImportPath: "example.com/m/b"}}
	if !slices.EqualFunc(pkgs, want, func(a, b Package) bool { return a.ImportPath == b.ImportPath && slices.Equal(a.Imports, b.Imports) }) {
		t.Fatalf("decoded %+v", pkgs)
	}
	if _, err := decode([]byte(`{"ImportPath": `)); err == nil {
		t.Fatal("a cut stream was accepted")
	}
}

func TestModuleRootWalksUp(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := ModuleRoot(deep)
	if err != nil || root != dir {
		t.Fatalf("ModuleRoot = %q, %v; want %q", root, err, dir)
	}
}
