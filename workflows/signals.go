package workflows

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
)

// Signals are how staff act on an order from the Temporal Web UI or CLI.
// A signal's input is whatever its sender typed, actor included: nothing
// proves who sent it. So only the staff-side roles may act by signal
// (anyone who reaches the Temporal frontend is assumed to be staff, which
// production must enforce with sign-in and mTLS: docs/security.md), every
// entry a signal writes is marked "via signal", and a signal that cannot be
// read, names no such action or comes from another role is refused on the
// timeline without holding up the signals after it.

// ChangeTrustedActions is the workflow.GetVersion change id of these rules
// and of request ids scoped to their caller (requestIDTaken). Orders
// started before it keep the old behaviour when they replay: any role's
// signal applied, an unreadable signal was dropped, and a request id
// deduplicated across callers.
const ChangeTrustedActions = "trusted-actions"

// staffSideRoles may act by signal and read every request id on a timeline.
var staffSideRoles = []lifecycle.Role{lifecycle.Staff, lifecycle.Purchasing, lifecycle.Finance, lifecycle.Ops}

// ValidRequestID is the rule for request ids, of actions through the API
// and of signals alike: what a well-behaved proxy sends and nothing that
// could forge log lines.
var ValidRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// signalHandler applies one signal of an action.
type signalHandler struct {
	action  lifecycle.Action
	channel workflow.ReceiveChannel
	handle  func(ctx workflow.Context, req ActionRequest)
}

// ChangeOneSignalLoop is the workflow.GetVersion change id of
// receiveSignals. Orders started before it received each action's signals
// in a coroutine of their own: a goroutine per action, whose stack every
// order in a worker's cache kept (README, "Performance"). Signals of
// different actions that reach one workflow task may be taken in another
// order by one coroutine than by several, so the old orders keep their
// coroutines when they replay: their histories have no marker for it.
const ChangeOneSignalLoop = "one-signal-loop"

// receiveSignals applies every action's signals in one coroutine, one at a time.
func (c *core) receiveSignals(ctx workflow.Context) {
	workflow.GoNamed(ctx, "signals", func(ctx workflow.Context) {
		sel := workflow.NewSelector(ctx)
		for _, s := range c.signals {
			sel.AddReceive(s.channel, func(workflow.ReceiveChannel, bool) { c.receive(ctx, s, false) })
		}
		for {
			sel.Select(ctx)
		}
	})
}

// receiveEach is the coroutine of one action's signals in orders started
// before ChangeOneSignalLoop.
func (c *core) receiveEach(ctx workflow.Context, s signalHandler) {
	for {
		c.receive(ctx, s, false)
	}
}

// receive takes the next signal of s (only if one is waiting, when async)
// and applies or refuses it; it reports whether there was one.
func (c *core) receive(ctx workflow.Context, s signalHandler, async bool) bool {
	if !c.trusted {
		var req ActionRequest
		if async {
			if !s.channel.ReceiveAsync(&req) {
				return false
			}
		} else {
			s.channel.Receive(ctx, &req)
		}
		s.handle(ctx, req)
		return true
	}
	// Raw, so that an input that does not decode is refused here rather
	// than dropped by the SDK while the coroutine waits for the next one.
	var raw converter.RawValue
	ch := c.channelOf(ctx, s)
	if async {
		if !ch.ReceiveAsync(&raw) {
			return false
		}
	} else {
		ch.Receive(ctx, &raw)
	}
	c.via = activities.ViaSignal
	defer func() { c.via = "" }()
	req, why := decodeSignal(raw)
	if why == "" && !slices.Contains(staffSideRoles, req.Actor.Role) {
		why = fmt.Sprintf("a signal may come from %s only; a %s acts through the API", joinRoles(staffSideRoles), req.Actor.Role)
	}
	if why != "" {
		c.refuse(ctx, s.action, req.Actor, why, req.RequestID)
		return true
	}
	s.handle(ctx, req)
	return true
}

// decodeSignal reads an action request from a signal's input; why says what
// is wrong with it.
func decodeSignal(raw converter.RawValue) (req ActionRequest, why string) {
	const shape = `; send {"actor": {"role": "staff", "sub": "<your id>"}, "payload": {…}}`
	p := raw.Payload()
	if p == nil || string(p.GetMetadata()[converter.MetadataEncoding]) != converter.MetadataEncodingJSON {
		return ActionRequest{}, "the signal's input is not JSON" + shape
	}
	if data := bytes.TrimSpace(p.GetData()); len(data) == 0 || data[0] != '{' {
		return ActionRequest{}, "the signal's input must be a JSON object" + shape
	}
	if err := decodeRecorded(p.GetData(), &req); err != nil {
		return ActionRequest{}, "the signal's input is not an action request (" + err.Error() + ")" + shape
	}
	if req.RequestID != "" && !ValidRequestID.MatchString(req.RequestID) {
		return ActionRequest{Actor: req.Actor}, "request_id must be 1 to 128 letters, digits or ._:-"
	}
	if req.Actor.Role == "" || strings.TrimSpace(req.Actor.Subject) == "" {
		return req, "the signal names no actor" + shape
	}
	return req, ""
}

// refuseUnknownSignals answers, on the timeline, every signal whose name is
// no action of the order: without it such a signal would wait unseen.
func (c *core) refuseUnknownSignals(ctx workflow.Context) {
	known := map[string]bool{}
	for _, s := range c.signals {
		known[string(s.action)] = true
	}
	unknown := func() []string {
		var names []string
		for _, n := range workflow.GetUnhandledSignalNames(ctx) {
			if !known[n] {
				names = append(names, n)
			}
		}
		slices.Sort(names) // the SDK lists them from a map
		return names
	}
	workflow.GoNamed(ctx, "unknown signals", func(ctx workflow.Context) {
		for {
			var names []string
			if workflow.Await(ctx, func() bool { names = unknown(); return len(names) > 0 }) != nil {
				return
			}
			for _, name := range names {
				c.refuseUnknown(ctx, name)
			}
		}
	})
}

// refuseUnknown refuses, on the timeline, the signals waiting under a name
// that is no action of the order.
func (c *core) refuseUnknown(ctx workflow.Context, name string) {
	ch := workflow.GetSignalChannel(ctx, name)
	var raw converter.RawValue
	for ch.ReceiveAsync(&raw) {
		req, _ := decodeSignal(raw)
		c.via = activities.ViaSignal
		c.refuse(ctx, lifecycle.Action(truncateRunes(name, 64)), req.Actor,
			fmt.Sprintf("%q is not an action of %s orders; the signals are: %s", truncateRunes(name, 64), c.Flow, lifecycle.JoinActions(c.signalNames())), "")
		c.via = ""
	}
}

// receiveAllSignals is a lean order's one coroutine for every signal, an
// action's or not: it takes each from the channel the SDK makes for a name
// when a signal of it arrives, so the order holds no channel, and no select
// case, for the actions nobody signals (most of them), and no second
// coroutine for the unknown ones, nor for Temporal's cancellation request
// (detach). Names are taken in sorted order (the SDK
// lists them from a map), one signal each per pass.
func (c *core) receiveAllSignals(ctx workflow.Context) {
	workflow.GoNamed(ctx, "signals", func(ctx workflow.Context) {
		for {
			var names []string
			if workflow.Await(ctx, func() bool {
				names = workflow.GetUnhandledSignalNames(ctx)
				return len(names) > 0 || c.cancelRequested()
			}) != nil {
				return
			}
			if c.cancelRequested() {
				c.cancelSeen = true
				c.applyCancelRequest(c.cancellable)
			}
			slices.Sort(names)
			for _, name := range names {
				if i := slices.IndexFunc(c.signals, func(s signalHandler) bool { return string(s.action) == name }); i >= 0 {
					c.receive(ctx, c.signals[i], true)
				} else {
					c.refuseUnknown(ctx, name)
				}
			}
		}
	})
}

// cancelRequested: Temporal's cancellation request reached a lean order
// and is not applied yet (it comes once per run).
func (c *core) cancelRequested() bool {
	return !c.cancelSeen && c.cancellable != nil && c.cancellable.Err() != nil
}

// channelOf is the channel of s's signals: made when the order listened
// (orders before ChangeLeanEngine) or, for a lean order, by the SDK when
// the first of them arrived (an empty one if none has).
func (c *core) channelOf(ctx workflow.Context, s signalHandler) workflow.ReceiveChannel {
	if s.channel != nil {
		return s.channel
	}
	return workflow.GetSignalChannel(ctx, string(s.action))
}

func (c *core) signalNames() []lifecycle.Action {
	names := make([]lifecycle.Action, len(c.signals))
	for i, s := range c.signals {
		names[i] = s.action
	}
	return names
}

// listen accepts the action as a signal of the same name, for staff using
// the Web UI or CLI. A refused signal is written down, never fails the order.
func (c *core) listen(ctx workflow.Context, a lifecycle.Action, handle func(workflow.Context, ActionRequest)) {
	var ch workflow.ReceiveChannel
	if !c.lean { // a lean order takes the channel when a signal arrives (receiveAllSignals)
		ch = workflow.GetSignalChannel(ctx, string(a))
	}
	once := func(ctx workflow.Context, req ActionRequest) {
		// A signal carries no update id: its request id, already on the
		// timeline, is what makes a resent signal apply once.
		if req.RequestID != "" && c.seenRequest(a, req) {
			return
		}
		handle(ctx, req)
	}
	c.signals = append(c.signals, signalHandler{action: a, channel: ch, handle: once})
}

// seenRequest reports whether the timeline already holds action a of this
// request (of this caller, in orders started after ChangeTrustedActions).
func (c *core) seenRequest(a lifecycle.Action, req ActionRequest) bool {
	return slices.ContainsFunc(c.Timeline, func(e TimelineEntry) bool {
		return e.Action == a && e.RequestID == req.RequestID && (!c.trusted || e.actedBy(req.Actor))
	})
}

// requestIDTaken refuses a request id that another caller already used on
// this order: its answer and its effect are that caller's.
func (c *core) requestIDTaken(a lifecycle.Action, req ActionRequest) *lifecycle.Refusal {
	if !c.trusted || req.RequestID == "" {
		return nil
	}
	if !slices.ContainsFunc(c.Timeline, func(e TimelineEntry) bool { return e.RequestID == req.RequestID && !e.actedBy(req.Actor) }) {
		return nil
	}
	return &lifecycle.Refusal{Code: RequestIDTaken, Action: a, Status: c.Status, Allowed: c.allowed(c.party(req.Actor)),
		Reason: "this request_id was already used on this order by someone else; send your request with a new request_id"}
}

func joinRoles(rs []lifecycle.Role) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
