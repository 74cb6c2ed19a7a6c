package payments

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

var hostileView = PaymentView{
	PaymentID:   "pay_1",
	OrderID:     `o-1"><script>alert(1)</script>`,
	Description: `<img src=x onerror=alert(2)> tiles & grout`,
	Amount:      123456,
	Currency:    "EUR",
	Status:      StatusCreated,
	ExpiresAt:   time.Date(2030, 5, 6, 7, 8, 0, 0, time.UTC),
}

func TestPayPageShowsTheOrderAndEscapesIt(t *testing.T) {
	var b bytes.Buffer
	if err := RenderPayPage(&b, hostileView); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<html lang="en">`,
		`name="viewport"`,
		`<form method="post">`,
		`<button type="submit"`,
		`>Pay € 1,234.56</button>`,
		`&lt;img src=x onerror=alert(2)&gt; tiles &amp; grout`,
		`o-1&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;`,
		`6 May 2030, 07:08 UTC`,
		`datetime="2030-05-06T07:08:00Z"`,
		`:focus-visible`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("pay page lacks %q", want)
		}
	}
	for _, raw := range []string{"<script>alert", "<img src=x"} {
		if strings.Contains(page, raw) {
			t.Errorf("pay page contains unescaped %q", raw)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("pay page has a script")
	}
}

func TestPayPageLeavesOutAnEmptyDescription(t *testing.T) {
	v := hostileView
	v.Description = ""
	var b bytes.Buffer
	if err := RenderPayPage(&b, v); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<dt>For</dt>") {
		t.Error("an empty description still gets a row")
	}
}

func TestPaidPageSaysWhatWasPaidAndWhatHappensNext(t *testing.T) {
	v := hostileView
	v.Status, v.PaidAt = StatusPaid, time.Date(2030, 5, 6, 8, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := RenderPaidPage(&b, v); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"Payment received", "€ 1,234.56", "o-1&#34;&gt;&lt;script&gt;", "6 May 2030, 08:00 UTC", "What happens next"} {
		if !strings.Contains(page, want) {
			t.Errorf("paid page lacks %q", want)
		}
	}
	if strings.Contains(page, "<form") || strings.Contains(page, "<script>") {
		t.Error("paid page offers to pay again or carries unescaped data")
	}
}

func TestProblemPageEscapesItsWords(t *testing.T) {
	var b bytes.Buffer
	if err := RenderProblemPage(&b, "Link <expired>", "Order <b>1</b> & more"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.Contains(page, "<h1>Link &lt;expired&gt;</h1>") || !strings.Contains(page, "Order &lt;b&gt;1&lt;/b&gt; &amp; more") {
		t.Fatalf("problem page does not show the escaped title and message:\n%s", page)
	}
}

func TestDescribeLinkErrorTellsTheCasesApart(t *testing.T) {
	cases := []struct {
		err    error
		status int
	}{
		{fmt.Errorf("wrapped: %w", ErrLinkTampered), http.StatusBadRequest},
		{fmt.Errorf("wrapped: %w", ErrNotFound), http.StatusNotFound},
		{fmt.Errorf("wrapped: %w", ErrLinkExpired), http.StatusGone},
		{fmt.Errorf("wrapped: %w", ErrLinkCancelled), http.StatusGone},
		{errors.New("connection refused to 10.0.0.5:5432"), http.StatusServiceUnavailable},
	}
	titles := map[string]bool{}
	for _, c := range cases {
		status, title, message := DescribeLinkError(c.err)
		if status != c.status {
			t.Errorf("%v: status %d, want %d", c.err, status, c.status)
		}
		if title == "" || message == "" || titles[title] {
			t.Errorf("%v: title %q (duplicate: %v), message %q", c.err, title, titles[title], message)
		}
		titles[title] = true
		if strings.Contains(message, "10.0.0.5") {
			t.Errorf("the page message leaks the internal error: %q", message)
		}
	}
}
