package load

import (
	"strings"
	"testing"
)

func TestParseExpositionAndFamily(t *testing.T) {
	text := `# HELP temporal_sticky_cache_size cached workflows
# TYPE temporal_sticky_cache_size gauge
temporal_sticky_cache_size{namespace="default",task_queue="orderflow"} 812
temporal_sticky_cache_hit_total{namespace="default",workflow_type="MarketplaceOrder"} 10
temporal_sticky_cache_hit_total{namespace="default",workflow_type="MemberOrder"} 5
temporal_sticky_cache_hit_total_other 99
go_memstats_heap_inuse_bytes 1.5e+08
`
	series, err := ParseExposition(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 5 {
		t.Fatalf("%d series, want 5: %v", len(series), series)
	}
	for name, want := range map[string]float64{
		"temporal_sticky_cache_size":      812,
		"temporal_sticky_cache_hit_total": 15,
		"go_memstats_heap_inuse_bytes":    1.5e8,
		"absent":                          0,
	} {
		if got := Family(series, name); got != want {
			t.Errorf("Family(%s) = %v, want %v", name, got, want)
		}
	}
	if got := FamilyMax(series, "temporal_sticky_cache_hit_total"); got != 10 {
		t.Errorf("FamilyMax = %v, want 10", got)
	}
	if _, err := ParseExposition(strings.NewReader("broken_line_without_value\n")); err == nil {
		t.Error("a sample without a value parsed")
	}
}
