package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/internal/load"
)

func TestFinalStatusesAreEachFlowsOwn(t *testing.T) {
	final := finalStatuses()
	// "completed" ends a member order; a completed marketplace order still
	// has its return window, so the stuck rule must check it.
	if !slices.Contains(final["member"], "completed") || slices.Contains(final["marketplace"], "completed") {
		t.Fatalf("final statuses = %v", final)
	}
	if !slices.Contains(final["marketplace"], "cancelled") || !slices.Contains(final["member"], "cancelled") {
		t.Fatalf("final statuses = %v", final)
	}
}

func TestChaosRefusesToRunWithoutItsOwnStack(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"chaos", "-n", "1"}, &out, &errs); code != 2 {
		t.Fatalf("exit %d, want 2 (stderr %q)", code, errs.String())
	}
	if !strings.Contains(errs.String(), "-start BIN is required") {
		t.Fatalf("stderr = %q", errs.String())
	}
}

func TestPrintViolationsCountsEveryRuleAndCapsTheList(t *testing.T) {
	var out bytes.Buffer
	vs := []load.Violation{{Rule: "email", Detail: "a"}, {Rule: "email", Detail: "b"}, {Rule: "status", Detail: "c"}}
	printViolations(&out, vs, 2)
	got := out.String()
	for _, want := range []string{"violations: 3 (email 2, numbering 0, refund 0, status 1, stuck 0)", "  email: a\n", "  email: b\n", "… and 1 more"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "status: c") {
		t.Errorf("printed past the cap:\n%s", got)
	}
}

func TestScaleRefusesToRunWithoutItsOwnStack(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"scale", "-n", "3"}, &out, &errs); code != 2 {
		t.Fatalf("exit %d, want 2 (stderr %q)", code, errs.String())
	}
	if !strings.Contains(errs.String(), "-start BIN is required") {
		t.Fatalf("stderr = %q", errs.String())
	}
}

func TestCacheSizesFlag(t *testing.T) {
	sizes, err := parseSizes("10000, 2000,500")
	if err != nil || !slices.Equal(sizes, []int{10000, 2000, 500}) {
		t.Fatalf("sizes = %v, %v", sizes, err)
	}
	for _, bad := range []string{"", "0", "1e4", "500,,20", "-3"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
