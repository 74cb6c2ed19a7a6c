package e2e_test

import (
	"net/http"
	"testing"

	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/lifecycle"
)

// While SendGrid is down, a customer's create is answered (201, with the
// payment link) rather than waiting out the email's retries; the email goes
// once SendGrid is back.
func TestACreateIsAnsweredWhileSendGridIsDown(t *testing.T) {
	m := newMarket(t, nil)
	m.sys.SendGrid.FailAll(sendgridtest.Fault{Status: http.StatusServiceUnavailable})
	o := m.create("c-1", "prepaid") // fails the test unless 201
	if o.Status != lifecycle.AwaitingPayment || o.Marketplace == nil || o.Marketplace.Payment == nil || o.Marketplace.Payment.URL == "" {
		t.Fatalf("the create answered %s without its payment link: %+v", o.Status, o.Marketplace)
	}
	if sent := m.sys.SendGrid.CountMessages(func(sendgridtest.Message) bool { return true }); sent != 0 {
		t.Fatalf("SendGrid accepted %d messages while down", sent)
	}
	m.sys.SendGrid.Recover()
	m.expectEmailsAmong(o.ID, "payment_link→c-1@customers.test")
}
