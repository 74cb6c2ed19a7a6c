package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
)

// The order's current details: a short Markdown text the Temporal Web UI
// shows on the workflow's page (issue 16, item 1): the status, who the
// order waits for and until when, every running deadline, what each role
// may do now, the attention block of a parked order, and links.
//
// workflow.SetCurrentDetails only stores the text in the workflow's
// environment (go.temporal.io/sdk v1.50.0, internal/internal_workflow.go:
// SetCurrentDetails sets getWorkflowEnvOptions(ctx).currentDetails, which
// getWorkflowMetadata answers to the __temporal_workflow_metadata query).
// It issues no command and writes no event, so it needs no
// workflow.GetVersion: every committed history replays unchanged (the
// replay tests), and an order started before this code shows details from
// its next workflow task on, since replay runs this code too.

// scheduleSteps are deadlines of the order's own schedule: steps it takes
// while it waits (a reminder, an invoice draft or issue), not the end of
// anyone's wait. Until when the order waits is its nearest other lifecycle
// deadline; the steps of a wait for a person (notices, reminders,
// escalations) are listed with the deadlines but end nothing either.
var scheduleSteps = []string{lifecycle.DeadlineReminder, lifecycle.DeadlineDraft, lifecycle.DeadlineIssue}

// showDetails sets the order's current details. It runs once per workflow
// task, where the order's state has settled (with flushIndex), so it is
// built with a strings.Builder from the state: no template, no JSON.
func (c *core) showDetails(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, c.currentDetails())
}

// currentDetails is the Markdown of the order now (showDetails): its
// status, whom it waits for, the parked step, its deadlines, who may do what
// and its links, one section each.
func (c *core) currentDetails() string {
	loc := c.flow.location()
	now := c.actionsNow()
	deadlines := slices.Clone(c.flow.deadlines())
	slices.SortStableFunc(deadlines, func(a, b Deadline) int { return a.At.Compare(b.At) })

	var b strings.Builder
	b.Grow(1024)
	closed := ""
	if c.Closed && !c.table.IsFinal(c.Status) {
		closed = " (closed)"
	}
	fmt.Fprintf(&b, "**%s** · %s order `%s`%s\n\n", mdText(c.table.Labels[c.Status]), c.table.Name, c.ID, closed)
	fmt.Fprintf(&b, "**Waiting for:** %s\n\n", c.waitingFor(now, deadlines, loc))
	if a := c.Attention; a != nil {
		resend := ""
		if a.Resendable {
			// As code: Markdown would curl the quotes of plain text, and
			// what ops copy must be JSON.
			resend = " (retry with `{\"resend\": true}` once the provider shows the email was not delivered)"
		}
		fmt.Fprintf(&b, "**⚠ Needs ops** since %s: step *%s* failed: %s. Ops may %s%s.\n\n",
			localTime(a.Since, loc), mdText(a.Step), mdText(a.Error), joinActions(c.opsAllowed()), resend)
	}

	// Every running deadline, named as its timer is.
	fmt.Fprintf(&b, "**Deadlines** (%s):", loc)
	list(&b, deadlines, " none", func(d Deadline) string { return mdText(c.flow.describe(d)) + ": " + localTime(d.At, loc) })

	// What each role may do now: the help query's source.
	b.WriteString("**Who may do what now:**")
	list(&b, now, " nobody", func(ra roleActions) string {
		return roleLabel(ra) + " via " + strings.Join(ra.via, ", ") + ": " + joinActions(ra.actions)
	})

	// Links: the order in the API, its documents.
	base := c.flow.publicURL() + "/v1/orders/" + c.ID
	fmt.Fprintf(&b, "**Links:** [order](%s)", base)
	for _, d := range c.Documents {
		fmt.Fprintf(&b, " · [%s](%s/documents/%s)", mdText(documentLabel(d)), base, d.ID)
	}
	b.WriteString("\n")
	return b.String()
}

// waitingFor is whom the order waits for and until when: ops while it is
// parked, nobody once it ended, else the parties of the lifecycle's WaitsOn
// who may act now, until its nearest deadline that ends a wait.
func (c *core) waitingFor(now []roleActions, deadlines []Deadline, loc *time.Location) string {
	switch {
	case c.Attention != nil:
		return "**ops**, to retry or skip the parked step (below)"
	case c.table.IsFinal(c.Status) || c.Closed:
		return "nobody: the order has ended"
	}
	var parts []string
	for _, w := range c.waitsNow(now) {
		parts = append(parts, waitLabel(w.Wait, w.roleActions))
	}
	if len(parts) == 0 {
		return "nobody: the order runs on its schedule"
	}
	text := strings.Join(parts, "; ")
	if d, ok := nearest(slices.DeleteFunc(slices.Clone(deadlines), func(d Deadline) bool {
		return isWaitDeadline(d) || slices.Contains(scheduleSteps, d.Name)
	})); ok {
		text += fmt.Sprintf(", until %s (%s)", localTime(d.At, loc), mdText(c.flow.describe(d)))
	}
	return text
}

// list writes items as a Markdown list after a section's heading, or none
// on the heading's line, then the blank line that ends the section.
func list[T any](b *strings.Builder, items []T, none string, line func(T) string) {
	if len(items) == 0 {
		b.WriteString(none + "\n\n")
		return
	}
	b.WriteString("\n")
	for _, it := range items {
		b.WriteString("- " + line(it) + "\n")
	}
	b.WriteString("\n")
}

// waitLabel is whom the order waits for, with what they may do: the person
// behind the system's action when the lifecycle names one ("the customer to
// pay"; the payment_confirmed action is the webhook's, not theirs), else the
// role and its actions, with the way a role no person holds acts (the
// confirmation link's page).
func waitLabel(w lifecycle.Wait, ra roleActions) string {
	if w.Who != "" {
		return mdText(w.Who)
	}
	label := roleLabel(ra)
	if !ra.role.IsPerson() {
		label += " via " + strings.Join(ra.via, ", ")
	}
	return label + " (" + joinActions(ra.actions) + ")"
}

// roleLabel is a role as the details name it: "**supplier** (offered
// supplier)".
func roleLabel(ra roleActions) string {
	if ra.as == "" {
		return "**" + string(ra.role) + "**"
	}
	return "**" + string(ra.role) + "** (" + ra.as + ")"
}

// joinActions lists actions as code: "`release`, `cancel`".
func joinActions(as []lifecycle.Action) string {
	var b strings.Builder
	for i, a := range as {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("`")
		b.WriteString(string(a))
		b.WriteString("`")
	}
	return b.String()
}

// documentLabel names a document by its kind and number ("invoice
// 2026-0001"), or its file name.
func documentLabel(d activities.DocumentRef) string {
	label := strings.ReplaceAll(d.Kind, "_", " ")
	if d.Number != "" {
		label += " " + d.Number
	}
	if label == "" {
		label = d.Filename
	}
	return label
}

// mdText is text from the order (a step's error, a deadline's name) as
// Markdown shows it literally.
func mdText(s string) string {
	if !strings.ContainsAny(s, "\\`*_[]<>#|\n") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '#', '|':
			b.WriteByte('\\')
		case '\n':
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// publicURL is the base of the API the order's links point at: the one its
// settings carry (ORDERFLOW_PUBLIC_URL, stamped at creation), or none, and
// the links are paths.
func (m *marketplace) publicURL() string { return strings.TrimSuffix(m.In.Settings.PublicURL, "/") }

func (m *member) publicURL() string { return strings.TrimSuffix(m.In.Settings.PublicURL, "/") }
