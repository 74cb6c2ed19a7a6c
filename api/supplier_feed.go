package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/orderflow/orderflow/internal/store"
)

// The live feed of a supplier, streamed as Server-Sent Events.

// The live feed as Server-Sent Events.

// flushWriter is a response that can push what was written to the client now.
type flushWriter interface {
	io.Writer
	Flush()
}

type feedLoader func(context.Context) ([]store.FeedItem, error)

// sseEvent is one event of the feed stream.
type sseEvent struct {
	name string
	data any
}

// streamFeed writes a snapshot of the feed, then, every poll, an event for
// each order that appeared on it ("added"), left it ("removed") or changed
// status, title or deadline while on it ("updated"). A comment keeps the
// connection alive. It returns when ctx ends or the client is gone (nil), or
// when the feed cannot be read (the error).
func streamFeed(ctx context.Context, w flushWriter, supplierID string, load feedLoader, timing feedTiming) error {
	items, err := load(ctx)
	if err != nil {
		return feedErrUnlessDone(ctx, err)
	}
	if writeSSE(w, sseEvent{"snapshot", toFeedJSON(supplierID, items)}) != nil {
		return nil // the client is gone
	}
	shown := indexFeed(items)
	poll := time.NewTicker(timing.poll)
	defer poll.Stop()
	keepAlive := time.NewTicker(timing.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-keepAlive.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
		case <-poll.C:
			items, err := load(ctx)
			if err != nil {
				return feedErrUnlessDone(ctx, err)
			}
			for _, ev := range diffFeed(shown, items) {
				if writeSSE(w, ev) != nil {
					return nil
				}
			}
			shown = indexFeed(items)
		}
	}
}

func feedErrUnlessDone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("feed stream: %w", err)
}

func writeSSE(w flushWriter, ev sseEvent) error {
	data, err := json.Marshal(ev.data)
	if err != nil {
		return err
	}
	// Marshalled JSON holds no newline, so it is one data line.
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, data); err != nil {
		return err
	}
	w.Flush()
	return nil
}

func indexFeed(items []store.FeedItem) map[string]store.FeedItem {
	m := make(map[string]store.FeedItem, len(items))
	for _, it := range items {
		m[it.OrderID] = it
	}
	return m
}

// diffFeed lists what changed from shown to now: removals by order id, then
// additions and updates in feed order.
func diffFeed(shown map[string]store.FeedItem, now []store.FeedItem) []sseEvent {
	current := indexFeed(now)
	var removed []string
	for id := range shown {
		if _, still := current[id]; !still {
			removed = append(removed, id)
		}
	}
	sort.Strings(removed)
	var events []sseEvent
	for _, id := range removed {
		events = append(events, sseEvent{"removed", map[string]string{"order_id": id}})
	}
	for _, it := range now {
		before, was := shown[it.OrderID]
		switch {
		case !was:
			events = append(events, sseEvent{"added", toFeedItemJSON(it)})
		case feedItemChanged(before, it):
			events = append(events, sseEvent{"updated", toFeedItemJSON(it)})
		}
	}
	return events
}

func feedItemChanged(a, b store.FeedItem) bool {
	sameDeadline := (a.NextDeadline == nil) == (b.NextDeadline == nil) &&
		(a.NextDeadline == nil || a.NextDeadline.Equal(*b.NextDeadline))
	return a.Status != b.Status || a.Title != b.Title || !sameDeadline
}
