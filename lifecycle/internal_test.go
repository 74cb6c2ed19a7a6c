package lifecycle

import (
	"slices"
	"testing"
)

// The actions only orderflow itself applies: every timer's, the webhook's
// payment, the client's answers through the link; never a person's action.
func TestInternalActions(t *testing.T) {
	for _, tc := range []struct {
		table    Flow
		internal []Action
		person   []Action
	}{
		{MarketplaceFlow, []Action{PaymentConfirmed, PaymentWindowElapsed, PendingWindowElapsed, FulfilmentDeadline, ReturnWindowElapsed, TopSuppliersDeclined, DeliveredAndInvoiced},
			[]Action{Cancel, Accept, Decline, SetMargin, Release, ApproveCredit}},
		{MemberFlow, []Action{Confirm, Decline, OfferExpired, SLAElapsed, ClientReminded, InvoiceDrafted, InvoiceIssued, ServiceCompleted, DuplicateWindowEnded},
			[]Action{Approve, Reject, Submit, Edit, Duplicate, ResendConfirmation}},
	} {
		for _, a := range tc.internal {
			if !IsInternalAction(tc.table, a) {
				t.Errorf("%s: %s is not internal", tc.table.Name, a)
			}
		}
		for _, a := range tc.person {
			if IsInternalAction(tc.table, a) {
				t.Errorf("%s: %s, a person's action, is internal", tc.table.Name, a)
			}
		}
		for _, a := range tc.table.Actions() {
			if tc.table.Automatic(a) && !slices.Contains(InternalActions(tc.table), a) {
				t.Errorf("%s: the order's own %s is not listed as internal", tc.table.Name, a)
			}
		}
		if IsInternalAction(tc.table, "no_such_action") || IsInternalAction(tc.table, OpsRetry) {
			t.Errorf("%s: an unknown action, or ops' retry, is internal", tc.table.Name)
		}
	}
}
