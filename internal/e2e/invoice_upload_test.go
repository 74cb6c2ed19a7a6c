package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// The supplier's invoice PDF: uploaded by the accepted supplier only, joined
// to the order by upload_invoice, readable by the supplier and the back
// office, never by the customer; a document the order was not sent is refused.
func TestTheAcceptedSupplierUploadsItsInvoicePDF(t *testing.T) {
	m := newMarket(t, nil)
	id := m.releasedToSuppliers("c-1")
	alpha, bravo := m.token(lifecycle.Supplier, "sup_alpha"), m.token(lifecycle.Supplier, "sup_bravo")
	pdf := []byte("%PDF-1.7\n% the supplier's invoice\n%%EOF\n")

	if status, _ := m.upload(id, alpha, "application/pdf", pdf); status != http.StatusConflict {
		t.Errorf("upload before accepting = %d, want 409", status)
	}
	m.act(id, "accept", alpha, nil, http.StatusOK)
	if status, _ := m.upload(id, bravo, "application/pdf", pdf); status != http.StatusConflict {
		t.Errorf("upload by a supplier who did not accept = %d, want 409", status)
	}
	if status, _ := m.upload(id, m.token(lifecycle.Customer, "c-1"), "application/pdf", pdf); status != http.StatusForbidden {
		t.Errorf("upload by the customer = %d, want 403", status)
	}
	if status, _ := m.upload(id, alpha, "text/plain", pdf); status != http.StatusUnsupportedMediaType {
		t.Errorf("upload as text = %d, want 415", status)
	}
	if status, _ := m.upload(id, alpha, "application/pdf", []byte("<html>not a pdf</html>")); status != http.StatusUnprocessableEntity {
		t.Errorf("upload of a non-PDF = %d, want 422", status)
	}
	status, ref := m.upload(id, alpha, "application/pdf", pdf)
	if status != http.StatusCreated || ref.Kind != workflows.SupplierInvoiceKind || ref.Filename != "INV-77.pdf" {
		t.Fatalf("upload = %d %+v", status, ref)
	}
	if _, again := m.upload(id, alpha, "application/pdf", pdf); again != ref {
		t.Errorf("the same file uploaded again = %+v, want %+v", again, ref)
	}

	m.act(id, "mark_delivered", alpha, map[string]any{"note": "signed"}, http.StatusOK)
	for _, forged := range []any{"doc_up_0123", map[string]any{"id": ref.ID + "x", "kind": workflows.SupplierInvoiceKind}, "", 7} {
		m.act(id, "upload_invoice", alpha, map[string]any{"number": "INV-77", "amount": "74.10", "document": forged}, http.StatusUnprocessableEntity)
	}
	v := m.act(id, "upload_invoice", alpha, map[string]any{"number": "INV-77", "amount": "74.10", "document": ref.ID}, http.StatusOK)
	if v.Status != lifecycle.Completed {
		t.Fatalf("after delivery and invoice: %s", v.Status)
	}

	asSupplier := m.get(id, alpha)
	if !slices.Contains(asSupplier.Documents, ref) {
		t.Errorf("the supplier's documents %+v lack its invoice %+v", asSupplier.Documents, ref)
	}
	resp, body := m.sys.Do(t, "GET", "/v1/orders/"+id+"/documents/"+ref.ID, alpha, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, pdf) {
		t.Errorf("the supplier reads its invoice: %d %q", resp.StatusCode, body)
	}
	for role, sub := range map[lifecycle.Role]string{lifecycle.Purchasing: "p-1", lifecycle.Finance: "f-1"} {
		if !slices.Contains(m.get(id, m.token(role, sub)).Documents, ref) {
			t.Errorf("%s does not see the supplier's invoice", role)
		}
	}
	customer := m.token(lifecycle.Customer, "c-1")
	if slices.Contains(m.get(id, customer).Documents, ref) {
		t.Error("the customer sees the supplier's invoice")
	}
	if resp, _ := m.sys.Do(t, "GET", "/v1/orders/"+id+"/documents/"+ref.ID, customer, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the customer reads the supplier's invoice: %d", resp.StatusCode)
	}
}

// upload sends body as the order's invoice PDF.
func (m *market) upload(id, token, contentType string, body []byte) (int, activities.DocumentRef) {
	m.t.Helper()
	req, err := http.NewRequest("POST", m.sys.URL+"/v1/orders/"+id+"/documents?filename=INV-77", bytes.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var ref activities.DocumentRef
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(data, &ref); err != nil {
			m.t.Fatalf("upload answered %s: %v", data, err)
		}
	}
	return resp.StatusCode, ref
}
