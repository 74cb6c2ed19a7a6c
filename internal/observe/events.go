package observe

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Events counts what happens to orders, where it really happens: an order
// when its workflow was started (not when a retried request found it), a
// transition when the read model recorded it, an email when the provider
// accepted it, an invoice when it got its number. A nil *Events counts nothing.
type Events struct {
	ordersCreated  *prometheus.CounterVec
	transitions    *prometheus.CounterVec
	emailsSent     *prometheus.CounterVec
	invoicesIssued *prometheus.CounterVec
}

// NewEvents registers the domain counters on reg.
func NewEvents(reg prometheus.Registerer) (*Events, error) {
	e := &Events{
		ordersCreated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderflow_orders_created_total",
			Help: "Orders whose workflow was started, by flow (a retried create that found its order does not count).",
		}, []string{"flow"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderflow_transitions_total",
			Help: "Status changes of orders recorded in the read model, by flow and the status entered.",
		}, []string{"flow", "status"}),
		emailsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderflow_emails_sent_total",
			Help: "Emails the provider accepted, by purpose (without its #n sequence).",
		}, []string{"purpose"}),
		invoicesIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderflow_invoices_issued_total",
			Help: "Invoices and credit notes issued with a number, by kind.",
		}, []string{"kind"}),
	}
	for _, c := range []prometheus.Collector{e.ordersCreated, e.transitions, e.emailsSent, e.invoicesIssued} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register domain metrics: %w", err)
		}
	}
	return e, nil
}

// OrderCreated counts a newly started order.
func (e *Events) OrderCreated(flow string) {
	if e != nil {
		e.ordersCreated.WithLabelValues(orUnknown(flow)).Inc()
	}
}

// TransitionRecorded counts an order entering status.
func (e *Events) TransitionRecorded(flow, status string) {
	if e != nil {
		e.transitions.WithLabelValues(orUnknown(flow), orUnknown(status)).Inc()
	}
}

// EmailSent counts an email the provider accepted. "invoice_issued#2" counts
// as "invoice_issued": the sequence would make one series per email.
func (e *Events) EmailSent(purpose string) {
	if e != nil {
		e.emailsSent.WithLabelValues(orUnknown(PurposeKind(purpose))).Inc()
	}
}

// InvoiceIssued counts an invoice or credit note issued for the first time.
func (e *Events) InvoiceIssued(kind string) {
	if e != nil {
		e.invoicesIssued.WithLabelValues(orUnknown(kind)).Inc()
	}
}

// PurposeKind is an email purpose without its "#n" sequence.
func PurposeKind(purpose string) string {
	kind, _, _ := strings.Cut(purpose, "#")
	return kind
}

func orUnknown(label string) string {
	if label == "" {
		return "unknown"
	}
	return label
}
