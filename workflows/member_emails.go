package workflows

import (
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/money"
)

// Member order: what its emails to the member and the client say, and
// to whom they go.

// MemberEmail is the data every member-order email template receives.
type MemberEmail struct {
	OrderID, Recipient, Title, Member, Client, Total, Period  string
	Reason, ActionURL, Deadline, Invoice, InvoiceDate, Amount string
	Lines                                                     []EmailLine
	// ActionLink, when set, is the bearer link SendEmail puts in ActionURL.
	ActionLink *activities.BearerLink `json:",omitempty"`
}

func (m *member) emailData() MemberEmail {
	c := m.In.Content
	client := c.Client.Name
	if c.Client.Company != "" {
		client += ", " + c.Client.Company
	}
	return MemberEmail{
		OrderID: m.ID, Recipient: m.In.MemberName, Title: c.Title, Member: m.In.MemberName, Client: client,
		Total: money.Format(m.totals().Gross, "EUR"), Period: m.period(), Lines: emailLines(c.Lines),
	}
}

func (m *member) entryEmail(i int) MemberEmail {
	data := m.emailData()
	t, _ := money.Compute(m.Entries[i].Lines)
	data.Lines, data.Amount = emailLines(m.Entries[i].Lines), money.Format(t.Gross, "EUR")
	data.InvoiceDate = m.humanDate(m.Entries[i].Date)
	return data
}

func (m *member) period() string {
	p := m.In.Content.ServicePeriod
	return m.humanDate(p.Start) + " – " + m.humanDate(p.End)
}

func (m *member) humanDate(date string) string {
	d, err := time.Parse(dateLayout, date)
	if err != nil {
		return date
	}
	return d.Format("2 January 2006")
}

func (m *member) memberAddress() activities.Address {
	return activities.Address{Name: m.In.MemberName, Email: m.In.MemberEmail}
}

func (m *member) clientAddress() activities.Address {
	return activities.Address{Name: m.In.Content.Client.Name, Email: m.In.Content.Client.Email}
}

// emailMember sends template to the member; suffix makes the purpose unique
// when the same kind of email may go out more than once.
func (m *member) emailMember(template, suffix string, data MemberEmail, attach ...string) {
	data.Recipient = m.In.MemberName
	m.emailTemplate(template, suffix, m.memberAddress(), nil, data, true, attach...)
}

func (m *member) emailClient(template, suffix string, data MemberEmail, attach ...string) {
	data.Recipient = m.In.Content.Client.Name
	m.emailTemplate(template, suffix, m.clientAddress(), nil, data, false, attach...)
}

// emailWithCopy sends to the client with the member in copy.
func (m *member) emailWithCopy(template, suffix string, data MemberEmail, attach ...string) {
	data.Recipient = m.In.Content.Client.Name
	m.emailTemplate(template, suffix, m.clientAddress(), []activities.Address{m.memberAddress()}, data, false, attach...)
}

// emailTemplate sends template; orderPage links the button to the order's
// page, which only the member has (the client answers through its link).
func (m *member) emailTemplate(template, suffix string, to activities.Address, cc []activities.Address, data MemberEmail, orderPage bool, attach ...string) {
	purpose := template
	if suffix != "" {
		purpose += "#" + suffix
	}
	fields := toMap(data)
	if orderPage {
		fields = m.withOrderPage(fields)
	}
	m.sendEmail(activities.SendEmailInput{OrderID: m.ID, Purpose: purpose, Template: template, To: to, Cc: cc, Data: fields, AttachDocuments: attach})
}
