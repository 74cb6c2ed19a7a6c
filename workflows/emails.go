package workflows

import (
	"encoding/json"
	"fmt"
	neturl "net/url"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/money"
)

// Emails both order workflows send: queued as side effects, at most once per
// purpose and recipient, with template data and order lines in one shape.

// SentEmail records that an email of a purpose went to a recipient.
type SentEmail struct {
	Purpose   string `json:"purpose"`
	Recipient string `json:"recipient"`
}

// email queues one email to someone who has a page for the order (the
// customer, a supplier, the member, staff); the activity makes it at most
// once per (order, purpose, recipient).
func (c *core) email(purpose string, to activities.Address, data any, attach ...string) {
	c.sendEmail(activities.SendEmailInput{OrderID: c.ID, Purpose: purpose, To: to, Data: c.withOrderPage(toMap(data)), AttachDocuments: attach})
}

// withOrderPage points the email's button (ActionURL) at the order's page
// (/app/orders/{id}, where the recipient signs in), unless the email carries
// a link of its own (the pay page). The member's client has no page: its
// emails go without (member.emailClient).
func (c *core) withOrderPage(data map[string]any) map[string]any {
	if url, _ := data["ActionURL"].(string); url == "" && data["ActionLink"] == nil {
		data["ActionURL"] = c.flow.publicURL() + "/app/orders/" + neturl.PathEscape(c.ID)
	}
	return data
}

func (c *core) sendEmail(in activities.SendEmailInput) {
	summary := emailSummary(in)
	c.enqueueEffect(effect{step: "email " + in.Purpose + " to " + in.To.Email, summary: func() string { return summary }, skippable: true, email: true, run: func(ctx workflow.Context) error {
		in := in
		in.Resend, c.resend = c.resend, false
		err := c.local(ctx, acts.SendEmail, in, nil)
		if fallsBack(err) {
			// A local attempt the provider accepted but that could not
			// record it hands the provider's id on: the regular activity
			// records the email instead of finding it "sending" and
			// parking it as of unknown outcome.
			in.SentAs = activities.SentUnrecorded(err)
			err = workflow.ExecuteActivity(ctx, acts.SendEmail, in).Get(ctx, nil)
		}
		if err != nil {
			return err
		}
		c.Emails = append(c.Emails, SentEmail{Purpose: in.Purpose, Recipient: in.To.Email})
		return nil
	}})
}

// emailSummary names an email's activity in the Web UI by its purpose and
// recipient, name and address, and who is in copy: "email
// invoice_issued#1 to Carl Client <carl@…> (cc Mia Member <mia@…>)".
func emailSummary(in activities.SendEmailInput) string {
	s := "email " + in.Purpose + " to " + addressText(in.To)
	if len(in.Cc) > 0 {
		cc := make([]string, len(in.Cc))
		for i, a := range in.Cc {
			cc[i] = addressText(a)
		}
		s += " (cc " + strings.Join(cc, ", ") + ")"
	}
	return s
}

func addressText(a activities.Address) string {
	if a.Name == "" {
		return a.Email
	}
	return a.Name + " <" + a.Email + ">"
}

// toMap turns template data into the map the email activity renders from;
// JSON keeps it deterministic and lets templates see every field.
func toMap(data any) map[string]any {
	b, err := json.Marshal(data)
	if err != nil {
		panic(fmt.Sprintf("email data is not JSON: %v", err)) // a code bug, caught by tests
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// EmailLine is one line of an email's order summary: Amount excl. VAT,
// AmountInclVAT with the VAT at the line's rate (the document's VAT is
// computed per rate on the total, so the lines incl. VAT may add up to a
// cent more or less than the total).
type EmailLine struct{ Description, Quantity, Amount, AmountInclVAT string }

func emailLines(lines []money.Line) []EmailLine {
	out := make([]EmailLine, len(lines))
	for i, l := range lines {
		net, _ := money.LineNet(l)
		vat, _ := money.VATOn(net, l.VATRate)
		out[i] = EmailLine{Description: l.Description, Quantity: l.Quantity.String(),
			Amount: money.Format(net, "EUR"), AmountInclVAT: money.Format(net+vat, "EUR")}
	}
	return out
}
