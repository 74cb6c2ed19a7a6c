package api

import (
	"github.com/orderflow/orderflow/internal/clientpage"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/workflows"
)

// confirmationView maps the order, as its workflow shows it to the link
// holder, onto the confirmation page. The page's form URLs are the caller's.
func confirmationView(v workflows.OrderView) clientpage.ConfirmationView {
	cv := clientpage.ConfirmationView{
		OrderID: v.ID,
		Title:   v.Title,
		Totals:  clientpage.Totals{Gross: money.Format(v.Total, v.Currency)},
	}
	m := v.Member
	if m == nil {
		return cv
	}
	cv.Member = m.MemberName
	cv.Client = clientpage.Client{Name: m.Client.Name, Company: m.Client.Company, VATNumber: m.Client.VATNumber}
	// Lines the workflow accepted always price; should one not, the page
	// still shows the totals rather than fail.
	cv.Lines, _ = clientpage.LinesOf(m.Lines, v.Currency)
	cv.Totals = clientpage.TotalsOf(m.Totals, v.Currency)
	cv.ServicePeriod = clientpage.Period(m.ServicePeriod.Start, m.ServicePeriod.End)
	cv.Schedule = scheduleView(m.Schedule, v.Currency)
	cv.ValidUntil = clientpage.Date(m.OfferValidUntil)
	return cv
}

// scheduleView lists the invoices the client will receive, each with what it
// will ask (VAT included).
func scheduleView(entries []workflows.Entry, currency string) []clientpage.ScheduleEntry {
	var out []clientpage.ScheduleEntry
	for _, e := range entries {
		if e.Status == workflows.EntryCancelled {
			continue
		}
		totals, err := money.Compute(e.Lines)
		amount := money.Format(totals.Gross, currency)
		if err != nil {
			amount = "" // cannot happen for a schedule the workflow accepted
		}
		out = append(out, clientpage.ScheduleEntry{Date: clientpage.Date(e.Date), Amount: amount})
	}
	return out
}
