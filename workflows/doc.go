// Package workflows executes the lifecycles of package lifecycle as
// Temporal workflows: pure, deterministic code that decides; activities do.
//
// What both flows share is in engine.go (state, transitions), loop.go (main
// loop, side effects), actions.go and signals.go (how an action arrives),
// waits.go, emails.go, view.go and projection.go; each flow's own files are
// marketplace*.go and member*.go, one concern each.
package workflows
