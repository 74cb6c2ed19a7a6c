//go:build !nodev

package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/browser"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// checkWebUIInABrowser opens the Web UI in headless Chromium as staff would:
// the workflow list filtered by status shows order id, and the order's page
// shows its summary, its status and its current details. It then parks the
// order and has it refuse a signal, and finds both on its page. With
// ORDERFLOW_WRITE_SCREENSHOTS=1 it writes the four pages to docs/screenshots.
func checkWebUIInABrowser(t *testing.T, api *apiSession, ui *uiSession, db, id string) {
	t.Helper()
	ctx := browser.Start(t)
	viewport(t, ctx, 1280, 900)
	list := ui.base + "/namespaces/default/workflows?query=" + url.QueryEscape(`OrderStatus = "awaiting_payment"`)
	onScreen(t, ctx, list, id, "MarketplaceOrder")
	screenshot(t, ctx, "webui-list.png")
	userMetadata(t, ctx, ui.base, id,
		"Marketplace order "+id+" for "+uiCustomerEmail, // the summary
		"Awaiting Payment", // the status, in the current details
		"Waiting for: the customer to pay", "Payment window")
	screenshot(t, ctx, "webui-order-details.png")

	step := parkOnUnknownEmail(t, api, db, id)
	viewport(t, ctx, 1280, 1100) // the attention block makes the details longer
	userMetadata(t, ctx, ui.base, id,
		"Waiting for: ops, to retry or skip the parked step",
		"⚠ Needs ops since ", "step "+step+" failed: an earlier attempt to send",
		"Ops may retry, skip (retry with {\"resend\": true} once")
	screenshot(t, ctx, "webui-order-parked.png")

	refusalInHistory(t, ctx, ui.base, id, refuseASignal(t, api, ui, id))
	screenshot(t, ctx, "webui-signal-refused.png")
}

// refusalInHistory opens order id's history, compact, tall and wide enough
// to show purchasing's release signal and the record of its refusal, named
// with why, and opens that record's row.
func refusalInHistory(t *testing.T, ctx context.Context, ui, id, why string) {
	t.Helper()
	viewport(t, ctx, 1600, 1200)
	onScreen(t, ctx, ui+"/namespaces/default/workflows/"+id, id, "Event History")
	openTab(t, ctx, "Event History")
	openTab(t, ctx, "Compact")
	record := "record refused " + string(lifecycle.Release) + ": " + why
	onScreen(t, ctx, "", "Signal received", `{"actor":{"role":"purchasing","sub":"p-ui"}}`, record)
	if err := browser.Do(ctx, chromedp.Evaluate[chromedp.Void](expandRowOf(record))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the row opens
}

// viewport sizes the page (the Web UI scrolls inside it, so a screenshot
// shows the viewport).
func viewport(t *testing.T, ctx context.Context, width, height int64) {
	t.Helper()
	if err := browser.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatal(err)
	}
}

// expandRowOf is a script that opens the history row whose frame shows
// text (the Web UI renders summaries as Markdown in frames; a row cuts
// them short, its details show them whole) and scrolls it to the middle
// of the page.
func expandRowOf(text string) string {
	return fmt.Sprintf(`(() => {
	const row = [...document.querySelectorAll("iframe")].find(f => (%s)(f).includes(%q)).closest("tr");
	row.click();
	row.scrollIntoView({block: "center"});
	// Vertically only: a sideways scroll slides the page under its menu.
	window.scrollTo(0, window.scrollY);
	document.querySelectorAll("*").forEach(e => { if (e.scrollLeft) e.scrollLeft = 0 });
	})()`, frameText, text)
}

// openTab clicks the tab (or button) named name once the open page shows it.
func openTab(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const e = [...document.querySelectorAll("a, button")].find(e => e.innerText.trim().startsWith(%q));
		if (e) e.click();
		return !!e;
	})()`, name)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(300 * time.Millisecond) {
		clicked, err := browser.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("open the %s tab: %v", name, err)
		}
		if clicked {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page shows no %s tab", name)
		}
	}
}

// userMetadata opens order id's page on its "User Metadata" tab (summary,
// details, current details) and waits until it shows want.
func userMetadata(t *testing.T, ctx context.Context, ui, id string, want ...string) {
	t.Helper()
	onScreen(t, ctx, ui+"/namespaces/default/workflows/"+id, id, "User Metadata")
	openTab(t, ctx, "User Metadata")
	onScreen(t, ctx, "", append([]string{id}, want...)...)
}

// The customer of the order the Web UI checks follow.
const (
	uiCustomer      = "c-ui"
	uiCustomerEmail = "ui@example.com"
)

// parkOnUnknownEmail pays order id and releases it while its
// acknowledgement email is claimed in the outbox and never sent, as a
// worker that died between the two leaves it: its outcome is unknown, so
// the order parks for ops at once (docs/runbook.md, section 4). It returns
// the parked step.
func parkOnUnknownEmail(t *testing.T, api *apiSession, db, id string) string {
	t.Helper()
	customer := auth.Principal{Role: lifecycle.Customer, Subject: uiCustomer}
	buyer := auth.Principal{Role: lifecycle.Purchasing, Subject: "p-ui"}
	pay(t, api.waitFor(id, customer, "the payment link", hasPaymentLink).Marketplace.Payment.URL)
	api.waitFor(id, buyer, "screening", func(o devOrder) bool { return o.Status == string(lifecycle.Screening) })

	ctx := context.Background()
	pool, err := pgxpool.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	const purpose = "order_acknowledged"
	if _, _, err := store.New(pool).ClaimEmail(ctx, store.Email{
		Key: email.KeyFor(id, purpose, uiCustomerEmail), OrderID: id, Purpose: purpose, Recipient: uiCustomerEmail,
	}); err != nil {
		t.Fatal(err)
	}
	api.must("POST", "/v1/orders/"+id+"/actions/set_margin", buyer, map[string]any{"margin_percent": 10})
	api.must("POST", "/v1/orders/"+id+"/actions/release", buyer, nil)
	step := "email " + purpose + " to " + uiCustomerEmail
	api.waitFor(id, opsUI, "parked on "+step, func(o devOrder) bool { return o.Attention != nil && o.Attention.Step == step })
	return step
}

// opsUI is the ops user of the Web UI checks.
var opsUI = auth.Principal{Role: lifecycle.Ops, Subject: "o-ui"}

// refuseASignal sends, by signal as the Web UI does, purchasing's release
// of the parked order id, pending now, which refuses it on its timeline;
// then ops' retry with resend, which unparks it, so that its queued steps,
// the record of the refusal among them, run. It returns the refusal's
// reason, as the order's timeline holds it.
func refuseASignal(t *testing.T, api *apiSession, ui *uiSession, id string) string {
	t.Helper()
	if err := ui.signal(id, string(lifecycle.Release), `{"actor": {"role": "purchasing", "sub": "p-ui"}}`); err != nil {
		t.Fatal(err)
	}
	// The runbook's shape of a resend by signal: the flag in the payload.
	if err := ui.signal(id, string(lifecycle.OpsRetry), `{"actor": {"role": "ops", "sub": "o-ui"}, "payload": {"resend": true}}`); err != nil {
		t.Fatal(err)
	}
	var reason string
	api.waitFor(id, opsUI, "the refusal on the timeline, then the resend", func(o devOrder) bool {
		for _, e := range o.Timeline {
			if e.Action == lifecycle.Release && e.Outcome == activities.OutcomeRefused && e.Via == activities.ViaSignal {
				reason = e.Reason
			}
		}
		return reason != "" && o.Attention == nil
	})
	if want := "release is not possible while the order is pending"; !strings.Contains(reason, want) {
		t.Fatalf("the refusal says %q, want %q", reason, want)
	}
	return reason
}

// frameText is a script's function from an iframe to its text: the Web UI
// renders a workflow's summary and details (Markdown) in sandboxed iframes.
const frameText = `f => { try { return f.contentDocument.body.innerText } catch (e) { return f.srcdoc || "" } }`

// screenText is the page's text with that of its frames.
const screenText = `[document.body.innerText, ...[...document.querySelectorAll("iframe")].map(` + frameText + `)].join("\n")`

// onScreen opens page ("": the one open) and waits until its text shows
// every one of want.
func onScreen(t *testing.T, ctx context.Context, page string, want ...string) {
	t.Helper()
	if page != "" {
		if err := browser.Do(ctx, chromedp.Navigate(page)); err != nil {
			t.Fatalf("open %s: %v", page, err)
		}
	}
	var text string
	missing := want
	for deadline := time.Now().Add(time.Minute); len(missing) > 0 && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		var err error
		if text, err = browser.Run(ctx, chromedp.Evaluate[string](screenText)); err != nil {
			t.Fatalf("read %s: %v", page, err)
		}
		missing = nil
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = append(missing, w)
			}
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%s does not show %q; it shows:\n%s", page, missing, text)
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("ORDERFLOW_WRITE_SCREENSHOTS") != "1" {
		return
	}
	img, err := browser.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name), img, 0o644); err != nil {
		t.Fatal(err)
	}
}
