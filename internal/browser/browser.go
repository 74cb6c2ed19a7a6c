// Package browser drives headless Chromium for the end-to-end tests of the
// pages people open from their email: the client confirmation page, the
// sandbox pay page and the dev-mode inbox. It holds the few helpers those
// tests share: starting the browser, a phone viewport, keyboard walking and
// the page checks.
package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Phone is the viewport the pages must fit: an ordinary modern phone.
const (
	PhoneWidth  = 390
	PhoneHeight = 844
)

// StepTimeout bounds one browser step; only a broken test waits that long.
const StepTimeout = 90 * time.Second

// Start launches headless Chromium for the test and returns a context for its
// first tab. The test fails, rather than skips, when Chromium is missing:
// the pages are part of the product.
func Start(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("browser tests need Debian's chromium (.ci/run installs it; or apt-get install chromium): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(PhoneWidth, PhoneHeight),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser and must not carry a timeout: it
	// would end the browser with it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Attach returns a context for the existing tab id (e.g. one a link opened)
// in parent's browser. Like Start's, its first run carries no timeout: the
// tab's event loop lives on the context of that run.
func Attach(parent context.Context, id target.ID) (context.Context, context.CancelFunc, error) {
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithTargetID(id))
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("attach to tab %s: %w", id, err)
	}
	return ctx, cancel, nil
}

// Window opens a new tab in a browser context of its own, like a private
// window: its cookies are its own, so each person signed in to the pages
// has one. It closes when the test ends.
func Window(t testing.TB, parent context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// Like Attach's, the first run carries no timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a window: %v", err)
	}
	return ctx
}

// Do runs steps in the tab, one after the other, each with StepTimeout.
func Do(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	for _, step := range steps {
		if _, err := Run(ctx, step); err != nil {
			return err
		}
	}
	return nil
}

// Run runs one step that returns a value, with StepTimeout. A step whose
// node went stale runs again from its query: Chromium may send
// DOM.documentUpdated more than once for one navigation, and each one
// renumbers the nodes, so a node found in the new page can be gone by the
// time the step uses it. The step fails then before it acts (a click's
// scroll and measure come before the mouse events), so running it again
// never acts twice.
func Run[T any](ctx context.Context, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	for {
		v, err := chromedp.Run(ctx, a)
		if !staleNode(err) || ctx.Err() != nil {
			return v, err
		}
		time.Sleep(10 * time.Millisecond) // let the new document settle, rather than ask at once
	}
}

// staleNode reports whether err is Chromium's answer about a node id the
// document no longer has.
func staleNode(err error) bool {
	var e *cdproto.Error
	return errors.As(err, &e) && (e.Message == "No node with given id found" || e.Message == "Could not find node with given id")
}

// AsPhone makes the tab a phone-sized mobile viewport (the page's viewport
// meta tag applies, as on a phone).
func AsPhone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateMobile, chromedp.EmulateScale(1))
}

// Report is what the page checks read from a loaded page.
type Report struct {
	Lang           string   `json:"lang"`
	Title          string   `json:"title"`
	ScrollWidth    int      `json:"scrollWidth"`
	InnerWidth     int      `json:"innerWidth"`
	Unlabelled     []string `json:"unlabelled"`     // form controls without a label
	UnnamedButtons []string `json:"unnamedButtons"` // buttons without text
	// Wide are the innermost elements reaching past the phone's width,
	// when the page scrolls sideways: what to fix.
	Wide []string `json:"wide"`
}

const reportJS = `(() => {
  const html = e => e.outerHTML.slice(0, 120);
  const labelled = e => (e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
  return {
    lang: document.documentElement.lang,
    title: document.title,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    unlabelled: [...document.querySelectorAll('input:not([type=hidden]), textarea, select')].filter(e => !labelled(e)).map(html),
    unnamedButtons: [...document.querySelectorAll('button, input[type=submit]')]
      .filter(b => !(b.textContent || b.value || '').trim() && !b.getAttribute('aria-label')).map(html),
    wide: [...document.querySelectorAll('body *')]
      .filter(e => e.getBoundingClientRect().right > %d + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > %d + 1))
      .slice(0, 5).map(html),
  };
})()`

// Problems lists what makes the page hard to use on a phone or with
// assistive technology; empty when the page passes.
func (r Report) Problems() []string {
	var out []string
	if r.Lang == "" {
		out = append(out, "<html> has no lang")
	}
	if r.Title == "" {
		out = append(out, "no <title>")
	}
	if r.ScrollWidth > r.InnerWidth {
		out = append(out, fmt.Sprintf("scrolls sideways: content %d px wide in a %d px viewport", r.ScrollWidth, r.InnerWidth))
	}
	for _, w := range r.Wide {
		out = append(out, "wider than a phone: "+w)
	}
	for _, c := range r.Unlabelled {
		out = append(out, "unlabelled control: "+c)
	}
	for _, b := range r.UnnamedButtons {
		out = append(out, "button without text: "+b)
	}
	return out
}

// Check reads the page's Report.
func Check(ctx context.Context) (Report, error) {
	return Run(ctx, chromedp.Evaluate[Report](fmt.Sprintf(reportJS, PhoneWidth, PhoneWidth)))
}

// Focus describes the focused element after a key press.
type Focus struct {
	Tag          string `json:"tag"`
	Text         string `json:"text"`
	Matches      bool   `json:"matches"` // the element the walk was looking for
	FocusVisible bool   `json:"focusVisible"`
	OutlineStyle string `json:"outlineStyle"`
	OutlineWidth string `json:"outlineWidth"`
}

// Visible reports whether a sighted keyboard user can see where focus is.
func (f Focus) Visible() bool {
	return f.FocusVisible && f.OutlineStyle != "none" && f.OutlineWidth != "0px"
}

const focusJS = `(sel => {
  const e = document.activeElement;
  if (!e || e === document.body) return {tag: 'body'};
  const s = getComputedStyle(e);
  return {
    tag: e.tagName.toLowerCase(),
    text: (e.textContent || e.value || '').trim().slice(0, 80),
    matches: e.matches(sel),
    focusVisible: e.matches(':focus-visible'),
    outlineStyle: s.outlineStyle,
    outlineWidth: s.outlineWidth,
  };
})(%q)`

// TabTo presses Tab, as a keyboard user would, until the element matching
// the CSS selector has focus, and returns every element focused on the way
// (the last one is the target). It gives up after limit presses.
func TabTo(ctx context.Context, selector string, limit int) ([]Focus, error) {
	var walk []Focus
	for range limit {
		if err := Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			return walk, fmt.Errorf("press Tab: %w", err)
		}
		f, err := Run(ctx, chromedp.Evaluate[Focus](fmt.Sprintf(focusJS, selector)))
		if err != nil {
			return walk, fmt.Errorf("read focus: %w", err)
		}
		walk = append(walk, f)
		if f.Matches {
			return walk, nil
		}
	}
	return walk, fmt.Errorf("%q not reached with %d Tab presses; focus went %+v", selector, limit, walk)
}

// Screenshot captures the whole page as a PNG and checks that it is one, as
// wide as the viewport.
func Screenshot(ctx context.Context, wantWidth int) ([]byte, error) {
	img, err := Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return nil, fmt.Errorf("screenshot is not a PNG: %w", err)
	}
	if cfg.Width != wantWidth || cfg.Height == 0 {
		return nil, fmt.Errorf("screenshot is %d×%d, want %d px wide", cfg.Width, cfg.Height, wantWidth)
	}
	return img, nil
}
