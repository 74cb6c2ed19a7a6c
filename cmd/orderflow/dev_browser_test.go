//go:build !nodev

package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderflow/orderflow/internal/browser"
)

// checkWebUIInABrowser opens the Web UI in headless Chromium as staff would:
// the workflow list filtered by status shows order id, and the order's page
// shows its summary, its status and its current details. With
// ORDERFLOW_WRITE_SCREENSHOTS=1 it writes both pages to docs/screenshots.
func checkWebUIInABrowser(t *testing.T, ui, id string) {
	t.Helper()
	ctx := browser.Start(t)
	if err := browser.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	list := ui + "/namespaces/default/workflows?query=" + url.QueryEscape(`OrderStatus = "awaiting_payment"`)
	onScreen(t, ctx, list, id, "MarketplaceOrder")
	screenshot(t, ctx, "webui-list.png")
	// The order's page, its "User Metadata" tab: summary, details, current details.
	onScreen(t, ctx, ui+"/namespaces/default/workflows/"+id, id, "User Metadata")
	if err := browser.Do(ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("a, button")].find(e => e.innerText.trim() === "User Metadata").click()`)); err != nil {
		t.Fatalf("open the User Metadata tab: %v", err)
	}
	onScreen(t, ctx, "", id,
		"Marketplace order "+id+" for ui@example.com", // the summary
		"Awaiting Payment", // the status, in the current details
		"Waiting for:", "Payment window")
	screenshot(t, ctx, "webui-order-details.png")
}

// screenText is the page's text with that of its frames: the Web UI renders
// a workflow's summary and details (Markdown) in sandboxed iframes.
const screenText = `[document.body.innerText, ...[...document.querySelectorAll("iframe")].map(f => {
	try { return f.contentDocument.body.innerText } catch (e) { return f.srcdoc || "" }
})].join("\n")`

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
