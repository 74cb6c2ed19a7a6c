package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/oklog/ulid/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// Orders are workflows: the API starts them, applies actions as updates and
// reads them with the order query; lists come from the read model.

func registerOrderRoutes(v1 *gin.RouterGroup, d Deps) {
	o := orders{d}
	v1.POST("/orders", o.create)
	v1.GET("/orders", o.list)
	v1.GET("/orders/:id", o.get)
	v1.POST("/orders/:id/actions/:action", o.act)
	v1.GET("/orders/:id/documents/:doc", o.document)
	v1.POST("/orders/:id/documents", requireRole(lifecycle.Supplier), o.upload)
}

type orders struct{ Deps }

// memberRequest is the body of POST /v1/orders for the member flow.
type memberRequest struct {
	Flow        string `json:"flow"`
	MemberID    string `json:"member_id"`
	MemberName  string `json:"member_name"`
	MemberEmail string `json:"member_email"`
	Submit      bool   `json:"submit"`
	workflows.MemberContent
}

// marketplaceRequest is the body of POST /v1/orders for the marketplace flow.
type marketplaceRequest struct {
	Flow          string                 `json:"flow"`
	CustomerID    string                 `json:"customer_id"`
	CustomerEmail string                 `json:"customer_email"`
	CustomerName  string                 `json:"customer_name"`
	Items         []workflows.Item       `json:"items"`
	Category      string                 `json:"category"`
	Delivery      workflows.DeliveryInfo `json:"delivery"`
	PaymentTerms  string                 `json:"payment_terms"`
}

func (o orders) create(c *gin.Context) {
	p, _ := principalOf(c)
	if _, ok := idempotencyKey(c); !ok {
		return
	}
	body, ok := readBody(c)
	if !ok {
		return
	}
	// The flow decides who may create and which fields the body takes:
	// read it first, from the body as members, then the body whole.
	var members map[string]json.RawMessage
	if !decodeBody(c, body, &members, orderExample) {
		return
	}
	var flow string
	if raw, sent := members["flow"]; sent && json.Unmarshal(raw, &flow) != nil {
		abort(c, bodyProblem(&workflows.JSONError{Kind: workflows.JSONShape, Field: "flow", Problem: "must be a string, " + flowChoice()}, orderExample))
		return
	}
	fl, known := lifecycle.FlowNamed(flow)
	if !known {
		abort(c, invalid("flow", flowChoice()))
		return
	}
	if !slices.Contains(fl.Creators, p.Role) {
		abortWith(c, http.StatusForbidden, fmt.Sprintf("Your role %q may not create %s orders; it needs one of: %s.", p.Role, flow, lifecycle.JoinRoles(fl.Creators)))
		return
	}
	if fl.Name == lifecycle.MemberFlow.Name {
		o.createMember(c, p, body)
		return
	}
	var req marketplaceRequest
	if !decodeBody(c, body, &req, orderExample) {
		return
	}
	in, problem := o.marketplaceInput(p, req, requestID(c))
	if problem != nil {
		abort(c, *problem)
		return
	}
	in.OrderID = newOrderID(p, c.GetHeader("Idempotency-Key"))
	o.start(c, p, body, in.OrderID, workflows.MarketplaceWorkflow, in, startInfo{
		owner: in.CustomerID, flow: lifecycle.MarketplaceFlow.Name,
		summary: fmt.Sprintf("Marketplace order %s for %s: %s", in.OrderID, in.CustomerEmail, truncate(describeItems(in.Items), 120)),
		details: fmt.Sprintf("**Customer** %s (%s)  \n**Category** %s, **region** %s  \n**Delivery** %s on %s  \n**Payment** %s",
			in.CustomerID, in.CustomerEmail, in.Category, in.Delivery.Region, strings.Join(in.Delivery.Address, ", "), in.Delivery.RequestedDate, in.PaymentTerms),
	})
}

func (o orders) createMember(c *gin.Context, p auth.Principal, body []byte) {
	var req memberRequest
	if !decodeBody(c, body, &req, orderExample) {
		return
	}
	memberID := req.MemberID
	switch {
	case p.Role == lifecycle.Member && memberID == "":
		memberID = p.Subject
	case p.Role == lifecycle.Member && memberID != p.Subject:
		abortWith(c, http.StatusForbidden, "A member creates orders for themself only; leave member_id out or set it to your own id.")
		return
	}
	in := workflows.MemberInput{
		OrderID: newOrderID(p, c.GetHeader("Idempotency-Key")), MemberID: memberID, MemberName: req.MemberName,
		MemberEmail: req.MemberEmail, Content: req.MemberContent, Submit: req.Submit, CreatedBy: p,
		RequestID: requestID(c), Settings: o.Member,
	}
	if problems := in.Validate(); len(problems) > 0 {
		pr := NewProblem(http.StatusUnprocessableEntity, "The order cannot be created as sent; fix the fields listed in errors.")
		pr.Errors = problems
		abort(c, pr)
		return
	}
	problem, warnings := o.memberCreateChecks(in) // issue 12: offer dates
	if problem != nil {
		abort(c, *problem)
		return
	}
	o.start(c, p, body, in.OrderID, workflows.MemberWorkflow, in, startInfo{
		owner: memberID, flow: lifecycle.MemberFlow.Name, warnings: warnings,
		summary: fmt.Sprintf("Member order %s for %s: %s, %d invoices", in.OrderID, in.Content.Client.Name, truncate(in.Content.Title, 80), len(in.Content.Schedule)),
		details: fmt.Sprintf("**Member** %s (%s)  \n**Client** %s <%s>  \n**Service period** %s – %s  \n**Invoices** %d, first on %s  \n**Offer valid until** %s",
			memberID, in.MemberEmail, in.Content.Client.Name, in.Content.Client.Email, in.Content.ServicePeriod.Start, in.Content.ServicePeriod.End,
			len(in.Content.Schedule), in.Content.Schedule[0].Date, orNone(in.Content.OfferValidUntil)),
	})
}

func (o orders) marketplaceInput(p auth.Principal, req marketplaceRequest, rid string) (workflows.MarketplaceInput, *Problem) {
	customer := req.CustomerID
	switch {
	case p.Role == lifecycle.Customer && customer == "":
		customer = p.Subject
	case p.Role == lifecycle.Customer && customer != p.Subject:
		pr := NewProblem(http.StatusForbidden, "A customer creates orders for themself only; leave customer_id out or set it to your own id.")
		return workflows.MarketplaceInput{}, &pr
	}
	in := workflows.MarketplaceInput{
		CustomerID: customer, CustomerEmail: req.CustomerEmail, CustomerName: req.CustomerName,
		Items: req.Items, Category: req.Category, Delivery: req.Delivery, PaymentTerms: req.PaymentTerms,
		CreatedBy: p, RequestID: rid, Settings: o.Marketplace,
	}
	if problems := in.Validate(); len(problems) > 0 {
		pr := NewProblem(http.StatusUnprocessableEntity, "The order cannot be created as sent; fix the fields listed in errors.")
		pr.Errors = problems
		return in, &pr
	}
	return in, nil
}

type startInfo struct {
	owner, flow, summary string
	details              string // Markdown shown under the summary in the Web UI
	warnings             []Warning
}

// start creates the order's workflow under id, in one call to Temporal:
// the start and the workflow's view update (workflows.ViewUpdate) together,
// answered with the new order once its first steps ran. With an
// Idempotency-Key the id is derived from the key and the caller, so a
// retried request finds the order it created (200) instead of making a
// second one; the body's fingerprint, in the memo, tells a retry from a
// reuse of the key (the update's validator compares them).
func (o orders) start(c *gin.Context, p auth.Principal, body []byte, id string, workflowType string, in any, info startInfo) {
	ctx := c.Request.Context()
	key := c.GetHeader("Idempotency-Key")
	sum := sha256.Sum256(body)
	fingerprint := hex.EncodeToString(sum[:])
	if key != "" && o.Store != nil && o.answerKeyUsedBefore(c, p, id, fingerprint, info) {
		return
	}

	startOp := o.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: o.TaskQueue,
		// The id is new unless derived from an Idempotency-Key: then the
		// order it names is the one to answer with.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		StaticSummary:            info.summary,
		StaticDetails:            info.details,
		Memo:                     map[string]any{workflows.FingerprintMemo: fingerprint},
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.OrderFlow.ValueSet(info.flow),
			workflows.OrderOwner.ValueSet(info.owner),
			workflows.NeedsAttention.ValueSet(false),
		),
	}, workflowType, in)
	rid := requestID(c)
	handle, err := o.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: startOp,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     viewUpdateID(p, key, fingerprint),
			UpdateName:   workflows.ViewUpdate,
			Args:         []any{workflows.ViewRequest{Actor: p, Fingerprint: fingerprint, RequestID: rid}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var answer workflows.ViewAnswer
	if err == nil {
		err = handle.Get(ctx, &answer)
	}
	var appErr *temporal.ApplicationError
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
	case errors.As(err, &appErr) && appErr.Type() == workflows.ErrKeyReused:
		abort(c, keyReused)
		return
	case errors.As(err, &started) && key != "":
		// The order this key created has ended (its workflow is closed): it
		// takes no update, so it is read as GET reads it.
		o.answerEnded(c, p, id, sum[:], info)
		return
	case missingSearchAttribute(err):
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The order could not be started: the Temporal namespace lacks orderflow's search attributes, which ops must register (docs/deploy.md). Nothing was created; retry with the same Idempotency-Key once they are.")
		return
	default:
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The order could not be started; Temporal did not answer. Retry with the same Idempotency-Key.")
		return
	}
	status := http.StatusOK
	if answer.Created && answer.RequestID == rid {
		status = http.StatusCreated
	}
	view, err := o.viewAfter(ctx, id, p, workflows.Answer{OrderView: answer.Order, Receipt: answer.Receipt})
	if err != nil {
		o.abortForUpdate(c, err)
		return
	}
	c.Header("Location", "/v1/orders/"+id)
	answerOrder(c, status, view, info.warnings)
}

// missingSearchAttribute: Temporal refused the start because the namespace
// has not registered a search attribute the order sets (a deploy step).
func missingSearchAttribute(err error) bool {
	var invalid *serviceerror.InvalidArgument
	return errors.As(err, &invalid) && strings.Contains(invalid.Message, "search attribute")
}

// viewUpdateID makes a retried create (same caller, Idempotency-Key and
// body) the same update, which Temporal answers with its first answer and
// no new events; another body under the key is another update, which the
// workflow's validator refuses. Without a key the SDK makes a new id.
func viewUpdateID(p auth.Principal, key, fingerprint string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(string(p.Role) + "\x00" + p.Subject + "\x00" + key + "\x00" + fingerprint))
	return workflows.ViewUpdate + ":" + hex.EncodeToString(sum[:16])
}

var keyReused = NewProblem(http.StatusUnprocessableEntity, "This Idempotency-Key was already used for a different order; use a new key for a new order.")

// answerKeyUsedBefore answers, where Temporal cannot, a create whose
// Idempotency-Key made an order before: the key reused with another body
// (refused), and a retry after Temporal's retention purged the order's
// workflow, which starting again would make a second order under the old
// id (answered with the order as archived). It reports whether it answered.
func (o orders) answerKeyUsedBefore(c *gin.Context, p auth.Principal, id, fingerprint string, info startInfo) bool {
	ctx := c.Request.Context()
	key, err := o.Store.ClaimCreateKey(ctx, id, fingerprint)
	switch {
	case err != nil:
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The order could not be started; the database did not answer. Retry with the same Idempotency-Key.")
		return true
	case !key.SameBody:
		abort(c, keyReused)
		return true
	case !key.OrderRecorded:
		return false // the start makes the order, or finds it starting
	}
	var notFound *serviceerror.NotFound
	if _, err := o.Temporal.DescribeWorkflowExecution(ctx, id, ""); !errors.As(err, &notFound) {
		return false // Temporal has the order: its update answers
	}
	view, err := o.query(ctx, id, p) // read back from the read model
	if err != nil {
		o.abortForUpdate(c, err)
		return true
	}
	c.Header("Location", "/v1/orders/"+id)
	answerOrder(c, http.StatusOK, view, info.warnings)
	return true
}

// answerEnded answers a create retried after its order ended.
func (o orders) answerEnded(c *gin.Context, p auth.Principal, id string, fingerprint []byte, info startInfo) {
	if !o.sameRequest(c.Request.Context(), id, fingerprint) {
		abort(c, keyReused)
		return
	}
	view, err := o.query(c.Request.Context(), id, p)
	if err != nil {
		o.abortForUpdate(c, err)
		return
	}
	c.Header("Location", "/v1/orders/"+id)
	answerOrder(c, http.StatusOK, view, info.warnings)
}

func (o orders) sameRequest(ctx context.Context, id string, fingerprint []byte) bool {
	desc, err := o.Temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return false
	}
	field, ok := desc.GetWorkflowExecutionInfo().GetMemo().GetFields()[workflows.FingerprintMemo]
	if !ok {
		return false
	}
	var stored string
	if err := json.Unmarshal(field.GetData(), &stored); err != nil {
		return false
	}
	return stored == hex.EncodeToString(fingerprint)
}

// newOrderID is "ord_" + a ULID: random and time-sortable, or derived from
// the caller and the Idempotency-Key so a retry finds the same order.
func newOrderID(p auth.Principal, key string) string {
	if key == "" {
		return "ord_" + ulid.Make().String()
	}
	sum := sha256.Sum256([]byte(string(p.Role) + "\x00" + p.Subject + "\x00" + key))
	var id ulid.ULID
	copy(id[:], sum[:16])
	return "ord_" + id.String()
}

func (o orders) get(c *gin.Context) {
	p, _ := principalOf(c)
	view, err := o.query(c.Request.Context(), c.Param("id"), p)
	if err != nil {
		o.abortForUpdate(c, err)
		return
	}
	c.JSON(http.StatusOK, view)
}

func (o orders) query(ctx context.Context, id string, p auth.Principal) (workflows.OrderView, error) {
	var view workflows.OrderView
	res, err := o.Temporal.QueryWorkflow(ctx, id, "", workflows.OrderQuery, p)
	if err == nil {
		err = res.Get(&view)
	}
	if notFound := (*serviceerror.NotFound)(nil); errors.As(err, &notFound) {
		// Temporal no longer knows the order (its retention purged the
		// closed workflow): read it back from the read model, through the
		// same projection the workflow's query uses.
		view, err = o.archived(ctx, id, p)
	}
	// The workflow refuses a viewer who may not see the order
	// (workflows.IsNotVisible); a worker older than that refusal answers an
	// empty view instead. The API reads both, so it rolls first.
	if workflows.IsNotVisible(err) || (err == nil && view.ID == "") {
		err = serviceerror.NewNotFound("order not visible to the caller")
	}
	if err == nil {
		o.decorate(ctx, &view, p)
	}
	return view, err
}

// decorate adds to an order view what the API knows beside the workflow.
func (o orders) decorate(ctx context.Context, view *workflows.OrderView, p auth.Principal) {
	o.withPayLink(ctx, view, p)
	if p.Role != lifecycle.Client { // the client's view names no other order (workflows.Project)
		o.withRecordedDuplicates(ctx, view) // issue 12: duplicated after it closed
	}
}

// viewAfter is order id as p sees it after an update answered a: the order
// in the answer, or the read-model record its receipt names
// (workflows.Receipt); where the read model holds another record (the
// record failed and waits as a regular activity, or a later action recorded
// since), the workflow's own view.
func (o orders) viewAfter(ctx context.Context, id string, p auth.Principal, a workflows.Answer) (workflows.OrderView, error) {
	if a.Receipt == nil {
		var view workflows.OrderView
		if a.OrderView != nil {
			view = *a.OrderView
		}
		o.decorate(ctx, &view, p)
		return view, nil
	}
	view, ok := o.readBack(ctx, p, *a.Receipt)
	if !ok {
		return o.query(ctx, id, p)
	}
	o.decorate(ctx, &view, p)
	return view, nil
}

// readBack is the read model's record r names, as p sees it, with what p
// may do now; false if the read model holds another record.
func (o orders) readBack(ctx context.Context, p auth.Principal, r workflows.Receipt) (workflows.OrderView, bool) {
	if o.Store == nil {
		return workflows.OrderView{}, false
	}
	row, err := o.Store.GetOrder(ctx, r.ID)
	if err != nil || row.Seq != r.Seq {
		return workflows.OrderView{}, false
	}
	full, err := o.recorded(ctx, row)
	if err != nil {
		return workflows.OrderView{}, false
	}
	view, ok := workflows.Project(full, p)
	view.AllowedActions, view.WaitingFor = r.AllowedActions, r.WaitingFor
	return view, ok
}

// recorded is the system view the read model holds of an order, with its
// timeline, which the read model keeps in its own table (the recorded view
// carries none since workflows.recordedView; older rows carry one, which the
// table's replaces).
func (o orders) recorded(ctx context.Context, row store.Order) (workflows.OrderView, error) {
	var v workflows.OrderView
	if err := json.Unmarshal(row.View, &v); err != nil {
		return v, err
	}
	entries, err := o.Store.Timeline(ctx, row.ID)
	if err != nil {
		return v, err
	}
	if len(entries) > 0 {
		v.Timeline = make([]workflows.TimelineEntry, 0, len(entries))
		for _, e := range entries {
			if e.Seq > row.Seq { // recorded after the row was read
				break
			}
			v.Timeline = append(v.Timeline, workflows.TimelineEntry{Seq: e.Seq, At: e.At, From: lifecycle.Status(e.From), To: lifecycle.Status(e.To),
				Action: lifecycle.Action(e.Action), ActorRole: lifecycle.Role(e.ActorRole), ActorID: e.ActorID, Reason: e.Reason,
				RequestID: e.RequestID, Outcome: e.Outcome, Via: e.Via})
		}
	}
	return v, nil
}

// archived is the caller's view of an order Temporal no longer holds, from
// the system view the read model recorded at its last transition, with the
// documents stored and the emails sent since; NotFound for an unknown order and for a caller who
// may not see it, as the live query answers. Nothing is allowed on it.
func (o orders) archived(ctx context.Context, id string, p auth.Principal) (workflows.OrderView, error) {
	notFound := serviceerror.NewNotFound("order not found")
	if o.Store == nil {
		return workflows.OrderView{}, notFound
	}
	row, err := o.Store.GetOrder(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return workflows.OrderView{}, notFound
	}
	if err != nil {
		return workflows.OrderView{}, err
	}
	full, err := o.recorded(ctx, row)
	if err != nil || full.ID != id {
		return workflows.OrderView{}, notFound
	}
	if docs, err := o.Store.ListDocuments(ctx, id); err == nil {
		for _, d := range docs {
			if !slices.ContainsFunc(full.Documents, func(r activities.DocumentRef) bool { return r.ID == d.ID }) {
				full.Documents = append(full.Documents, activities.DocumentRef{ID: d.ID, Kind: d.Kind, Number: d.Number, Filename: d.Filename, SHA256: d.SHA256})
			}
		}
	}
	// Emails sent after the order's last transition (a completion email)
	// are in the outbox only.
	if sent, err := o.Store.ListEmails(ctx, id); err == nil {
		for _, e := range sent {
			if e.Status == store.EmailSent && !slices.ContainsFunc(full.Emails, func(s workflows.SentEmail) bool {
				return s.Purpose == e.Purpose && s.Recipient == e.Recipient
			}) {
				full.Emails = append(full.Emails, workflows.SentEmail{Purpose: e.Purpose, Recipient: e.Recipient})
			}
		}
	}
	view, ok := workflows.Project(full, p)
	if !ok {
		return workflows.OrderView{}, notFound
	}
	view.AllowedActions = []lifecycle.Action{}
	return view, nil
}

// document serves a stored PDF of an order the caller may see; a supplier
// may read its purchase order only.
func (o orders) document(c *gin.Context) {
	p, _ := principalOf(c)
	id, docID := c.Param("id"), c.Param("doc")
	view, err := o.query(c.Request.Context(), id, p)
	if err != nil {
		o.abortForUpdate(c, err)
		return
	}
	// The view is already the caller's part (workflows.Project): a supplier's
	// holds its own purchase order only, a customer's no purchase order.
	if !slices.ContainsFunc(view.Documents, func(d activities.DocumentRef) bool { return d.ID == docID }) {
		abortWith(c, http.StatusNotFound, "This order has no such document for you; GET the order to see its documents.")
		return
	}
	doc, err := o.Store.GetDocument(c.Request.Context(), id, docID)
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The document could not be read; retry shortly.")
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf("inline; filename=%q", doc.Filename))
	c.Data(http.StatusOK, doc.ContentType, doc.Content)
}

// Helpers for messages.

func invalid(field, msg string) Problem {
	p := NewProblem(http.StatusUnprocessableEntity, "The request cannot be used as sent; fix the fields listed in errors.")
	p.Errors = map[string]string{field: msg}
	return p
}

func actionNames(as []lifecycle.Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

func listOrNone(as []lifecycle.Action) string {
	if len(as) == 0 {
		return "none"
	}
	return strings.Join(actionNames(as), ", ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func describeItems(items []workflows.Item) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.Quantity.String() + " × " + it.Description
	}
	return strings.Join(parts, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none (client confirmation skipped)"
	}
	return s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
