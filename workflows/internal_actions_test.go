package workflows

import (
	"slices"
	"testing"
)

// The actions only orderflow itself applies: every timer's, the webhook's
// payment, the client's answers through the link; never a person's action.
func TestInternalActions(t *testing.T) {
	for _, tc := range []struct {
		table    Table
		internal []Action
		person   []Action
	}{
		{MarketplaceTable, []Action{PaymentConfirmed, PaymentWindowElapsed, PendingWindowElapsed, FulfilmentDeadline, ReturnWindowElapsed, TopSuppliersDeclined, DeliveredAndInvoiced},
			[]Action{Cancel, Accept, Decline, SetMargin, Release, ApproveCredit}},
		{MemberTable, []Action{Confirm, Decline, OfferExpired, SLAElapsed, ClientReminded, InvoiceDrafted, InvoiceIssued, ServiceCompleted, DuplicateWindowEnded},
			[]Action{Approve, Reject, Submit, Edit, Duplicate, ResendConfirmation}},
	} {
		for _, a := range tc.internal {
			if !IsInternalAction(tc.table, a) {
				t.Errorf("%s: %s is not internal", tc.table.Flow, a)
			}
		}
		for _, a := range tc.person {
			if IsInternalAction(tc.table, a) {
				t.Errorf("%s: %s, a person's action, is internal", tc.table.Flow, a)
			}
		}
		for _, a := range timerActions {
			if slices.Contains(tc.table.Actions(), a) && !slices.Contains(InternalActions(tc.table), a) {
				t.Errorf("%s: the timer's %s is not listed as internal", tc.table.Flow, a)
			}
		}
		if IsInternalAction(tc.table, "no_such_action") || IsInternalAction(tc.table, OpsRetry) {
			t.Errorf("%s: an unknown action, or ops' retry, is internal", tc.table.Flow)
		}
	}
}
