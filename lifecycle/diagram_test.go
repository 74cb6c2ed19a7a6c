package lifecycle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMermaidOfATinyTable(t *testing.T) {
	tiny := Flow{
		Name:     "tiny",
		Initial:  []Status{"open"},
		Statuses: []Status{"open", "shut"},
		Final:    []Status{"shut"},
		Rules: map[Status]map[Action]Rule{
			"open": {
				"close": {Grants: grants(Grant{Staff, AnyHolder}, Grant{Member, Owner}), To: []Status{"shut"}, Guard: "paid"},
				"poke":  {Grants: grants(Grant{Supplier, OfferedSupplier})},
				"nudge": {Grants: grants(system)},
			},
			"shut": {},
		},
	}
	want := `stateDiagram-v2
    state "open" as open
    state "shut" as shut
    [*] --> open
    open --> shut: close (staff, member owner) [paid]
    note right of open
        stays on:
        nudge (system)
        poke (offered supplier)
    end note
    shut --> [*]
`
	if got := Mermaid(tiny); got != want {
		t.Fatalf("Mermaid:\n%s\nwant:\n%s", got, want)
	}
}

func TestMermaidDrawsEveryTransitionOfTheRealTables(t *testing.T) {
	for _, table := range Flows {
		got := Mermaid(table)
		if Mermaid(table) != got {
			t.Fatalf("%s: the diagram is not deterministic", table.Name)
		}
		for s, rules := range table.Rules {
			for a, r := range rules {
				for _, to := range r.To {
					edge := string(s) + " --> " + string(to) + ": " + string(a) + " ("
					if !strings.Contains(got, edge) {
						t.Errorf("%s: no edge %q", table.Name, edge)
					}
				}
			}
		}
		if !strings.Contains(got, `state "`+table.Labels[table.Initial[0]]+`"`) {
			t.Errorf("%s: statuses are not labelled", table.Name)
		}
	}
}

// The committed diagrams (docs/ and the README's copy) must match the tables.
func TestCommittedDiagramsAreUpToDate(t *testing.T) {
	const fix = "the lifecycle diagrams are out of date: run `go run ./cmd/diagrams`"
	for _, table := range Flows {
		path := filepath.Join("..", LifecycleDocPath(table))
		committed, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (%s)", err, fix)
		}
		if string(committed) != LifecycleDoc(table) {
			t.Errorf("%s differs from the %s table: %s", path, table.Name, fix)
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	updated, err := WithReadmeDiagrams(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	if updated != string(readme) {
		t.Errorf("README.md's Lifecycles section differs from the tables: %s", fix)
	}
}

func TestWithReadmeDiagramsNeedsItsMarkers(t *testing.T) {
	if _, err := WithReadmeDiagrams("# a README without markers\n"); err == nil {
		t.Fatal("a README without markers was accepted")
	}
	in := "before\n" + ReadmeDiagramsBegin + "\nstale\n" + ReadmeDiagramsEnd + "\nafter\n"
	out, err := WithReadmeDiagrams(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "stale") || !strings.HasPrefix(out, "before\n") || !strings.HasSuffix(out, ReadmeDiagramsEnd+"\nafter\n") ||
		!strings.Contains(out, Mermaid(MarketplaceFlow)) || !strings.Contains(out, Mermaid(MemberFlow)) {
		t.Fatalf("README section:\n%s", out)
	}
}
