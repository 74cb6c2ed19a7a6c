package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// POST /v1/orders/{id}/documents: the supplier that accepted an order
// uploads its invoice's PDF, then sends upload_invoice with the id this
// answers. The document joins the order when the action is applied; until
// then it is stored but listed nowhere. The upload is refused unless
// upload_invoice is allowed to the caller now, so nobody else can store
// files against an order.

const (
	// maxUploadBytes bounds an uploaded PDF (an invoice is far smaller).
	maxUploadBytes = 10 << 20
	maxUploadText  = "10 MiB"
	maxFilename    = 120
)

// uploadRoutes take bodies up to maxUploadBytes instead of maxBodyBytes:
// the upload itself, and the pages, whose invoice form carries the PDF.
var uploadRoutes = []string{"/v1/orders/:id/documents", "/app/*page"}

func (o orders) upload(c *gin.Context) {
	p, _ := principalOf(c)
	id := c.Param("id")
	view, err := o.query(c.Request.Context(), id, p)
	if err != nil {
		o.abortForUpdate(c, err)
		return
	}
	if !slices.Contains(view.AllowedActions, lifecycle.UploadInvoice) {
		pr := NewProblem(http.StatusConflict, fmt.Sprintf("A PDF is uploaded only with the supplier's invoice: by the supplier that accepted the order, before its invoice is recorded. Allowed now: %s.", listOrNone(view.AllowedActions)))
		pr.StatusNow, pr.AllowedActions = string(view.Status), actionNames(view.AllowedActions)
		abort(c, pr)
		return
	}
	if ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); ct != "application/pdf" {
		abortWith(c, http.StatusUnsupportedMediaType, "Send the invoice's PDF as the body, with Content-Type: application/pdf (and ?filename=invoice.pdf to name it).")
		return
	}
	content, err := io.ReadAll(c.Request.Body)
	if err != nil {
		abortWith(c, http.StatusRequestEntityTooLarge, "The PDF could not be read whole; the limit is "+maxUploadText+". Send a smaller file.")
		return
	}
	if !bytes.HasPrefix(content, []byte("%PDF-")) {
		abortWith(c, http.StatusUnprocessableEntity, "The body is not a PDF (a PDF starts with %PDF-). Send the invoice's PDF file itself.")
		return
	}
	doc := store.Document{ID: uploadID(id, content), OrderID: id, Kind: workflows.SupplierInvoiceKind,
		Filename: uploadFilename(c.Query("filename")), ContentType: "application/pdf", Content: content}
	if err := o.Store.SaveDocument(c.Request.Context(), doc); err != nil && !errors.Is(err, store.ErrConflict) {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The PDF could not be stored; send it again shortly.")
		return
	}
	stored, err := o.Store.DocumentInfo(c.Request.Context(), id, doc.ID) // a repeated upload keeps its first name
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The PDF could not be stored; send it again shortly.")
		return
	}
	c.JSON(http.StatusCreated, refOf(stored))
}

// uploadID is the same for the same file uploaded to the same order, so a
// retried upload stores it once.
func uploadID(orderID string, content []byte) string {
	h := sha256.New()
	h.Write([]byte(orderID + "\x00"))
	h.Write(content)
	return "doc_up_" + hex.EncodeToString(h.Sum(nil))[:32]
}

// uploadFilename keeps the base name, one line, ending in .pdf.
func uploadFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == '"' || r == '\\' || r == 0x7f {
			return -1
		}
		return r
	}, path.Base(strings.ReplaceAll(name, "\\", "/")))
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == "/" {
		name = "invoice"
	}
	if len(name) > maxFilename {
		name = name[:maxFilename]
	}
	if !strings.HasSuffix(strings.ToLower(name), ".pdf") {
		name += ".pdf"
	}
	return name
}

func refOf(d store.Document) activities.DocumentRef {
	return activities.DocumentRef{ID: d.ID, Kind: d.Kind, Filename: d.Filename, SHA256: d.SHA256}
}

// attachUpload rewrites an upload_invoice body's "document" (the id the
// upload answered, or an object with that id) into the uploaded document's
// record, read from the store: the order lists only files this order was
// sent. false: the request was answered.
func (o orders) attachUpload(c *gin.Context) bool {
	if lifecycle.Action(c.Param("action")) != lifecycle.UploadInvoice || o.Store == nil {
		return true
	}
	body, ok := peekBody(c)
	var fields map[string]json.RawMessage
	if !ok || json.Unmarshal(body, &fields) != nil || fields["document"] == nil {
		return true // the usual checks answer
	}
	docID, ok := documentID(fields["document"])
	var doc store.Document
	var err error
	if ok {
		doc, err = o.Store.DocumentInfo(c.Request.Context(), c.Param("id"), docID)
	}
	if !ok || errors.Is(err, store.ErrNotFound) || (err == nil && doc.Kind != workflows.SupplierInvoiceKind) {
		pr := NewProblem(http.StatusUnprocessableEntity, "The invoice names a document this order was not sent; fix the fields listed in errors.")
		pr.Errors = map[string]string{"document": "must be the id POST /v1/orders/{id}/documents answered for this order's invoice PDF"}
		abort(c, pr)
		return false
	}
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The uploaded PDF could not be read; send the invoice again shortly.")
		return false
	}
	fields["document"], _ = json.Marshal(refOf(doc))
	rewritten, _ := json.Marshal(fields)
	c.Request.Body, c.Request.ContentLength = io.NopCloser(bytes.NewReader(rewritten)), int64(len(rewritten))
	return true
}

// documentID reads "doc_…" or {"id": "doc_…"}.
func documentID(raw json.RawMessage) (string, bool) {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id, id != ""
	}
	var ref struct {
		ID string `json:"id"`
	}
	return ref.ID, json.Unmarshal(raw, &ref) == nil && ref.ID != ""
}
