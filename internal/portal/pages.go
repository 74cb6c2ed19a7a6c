package portal

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/clientpage"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// queue is what a role's home page lists: a flow's orders, in a status
// when the role works a queue (purchasing screens, finance decides credit).
type queue struct {
	Title  string
	Flow   string
	Status lifecycle.Status // fixed; empty lets the person filter
}

var queues = map[lifecycle.Role]queue{
	lifecycle.Member:     {Title: "Your orders", Flow: lifecycle.MemberFlow.Name},
	lifecycle.Customer:   {Title: "Your orders", Flow: lifecycle.MarketplaceFlow.Name},
	lifecycle.Staff:      {Title: "Member orders", Flow: lifecycle.MemberFlow.Name},
	lifecycle.Purchasing: {Title: "Screening queue", Flow: lifecycle.MarketplaceFlow.Name, Status: lifecycle.Screening},
	lifecycle.Finance:    {Title: "Credit queue", Flow: lifecycle.MarketplaceFlow.Name, Status: lifecycle.AwaitingCredit},
	lifecycle.Ops:        {Title: "Orders"},
}

// listedOrder is one row of GET /v1/orders.
type listedOrder struct {
	ID             string     `json:"id"`
	Flow           string     `json:"flow"`
	Status         string     `json:"status"`
	Title          string     `json:"title"`
	Total          string     `json:"total"`
	NextDeadline   *time.Time `json:"next_deadline"`
	NeedsAttention bool       `json:"needs_attention"`
	CreatedAt      time.Time  `json:"created_at"`
}

type ordersView struct {
	Who     string
	CSRF    string
	Title   string
	Status  string   // the filter chosen
	Filters []option // the statuses to filter on; none for a queue
	Rows    []orderRow
}

type option struct{ Value, Label string }

type orderRow struct {
	ID, Title, Status, Total, Deadline, Created string
	Attention                                   bool
}

func (p *Portal) home(w http.ResponseWriter, r *http.Request, v visit) {
	if v.sess.Who.Role == lifecycle.Supplier {
		p.feed(w, r, v)
		return
	}
	q := queues[v.sess.Who.Role]
	status := string(q.Status)
	if status == "" {
		status = r.URL.Query().Get("status")
	}
	query := url.Values{"limit": {"100"}}
	setIf(query, "flow", q.Flow)
	setIf(query, "status", status)
	var list struct {
		Orders []listedOrder `json:"orders"`
	}
	if !p.read(w, r, v, "/v1/orders?"+query.Encode(), &list) {
		return
	}
	// Oldest first: a queue is worked from the order waiting longest.
	slices.SortStableFunc(list.Orders, func(a, b listedOrder) int { return a.CreatedAt.Compare(b.CreatedAt) })
	view := ordersView{Who: p.who(v), CSRF: v.sess.CSRF, Title: q.Title, Status: status}
	if q.Status == "" {
		view.Filters = statusFilters(q.Flow)
	}
	for _, o := range list.Orders {
		row := orderRow{ID: o.ID, Title: o.Title, Status: humanize(o.Status), Total: amount(o.Total, ""),
			Created: p.when(o.CreatedAt), Attention: o.NeedsAttention}
		if o.NextDeadline != nil {
			row.Deadline = p.when(*o.NextDeadline)
		}
		view.Rows = append(view.Rows, row)
	}
	p.render(w, http.StatusOK, ordersPage, view)
}

// statusFilters are the statuses of flow (of both flows without one).
func statusFilters(flow string) []option {
	var out []option
	for _, f := range []lifecycle.Flow{lifecycle.MemberFlow, lifecycle.MarketplaceFlow} {
		if flow != "" && f.Name != flow {
			continue
		}
		for _, s := range f.Statuses {
			if !slices.ContainsFunc(out, func(o option) bool { return o.Value == string(s) }) {
				out = append(out, option{string(s), f.Labels[s]})
			}
		}
	}
	return out
}

func setIf(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

// who names the signed-in person in the page's header.
func (p *Portal) who(v visit) string {
	return fmt.Sprintf("%s · %s", humanize(string(v.sess.Who.Role)), v.sess.Email)
}

type orderPageView struct {
	workflows.OrderView
	Who, CSRF, Done string
	TotalText       string
	// WaitingFor says who moves the order on now, and until when.
	WaitingFor string
	// PayURL is the pay link, on the paying customer's own page only
	// (the API puts it in that view alone).
	PayURL string
	// Details say what the order is: its party, where and when, its terms.
	Details []labelled
	// Lines are what is ordered, as the person reads them.
	Lines     []lineRow
	Deadlines []labelled
	Timeline  []timelineRow
	Documents []docLink
	Schedule  []scheduleRow
	Actions   []actionForm
}

type labelled struct{ Label, Value string }

type lineRow struct{ Description, Quantity, UnitPrice, VAT string }

type timelineRow struct {
	At, What, By, Reason string
	Refused              bool
}

type docLink struct{ Name, URL string }

type scheduleRow struct {
	Date, Status, Draft, ChangeRequest string
	// Changes is the form asking changes to this entry's draft, when the
	// order allows request_changes now and the entry has a draft.
	Changes *actionForm
}

// takeDone is the action the last form did, which the page says once.
func (p *Portal) takeDone(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(doneCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	p.setCookie(w, doneCookie, "", Prefix, time.Time{})
	return humanize(c.Value)
}

func (p *Portal) order(w http.ResponseWriter, r *http.Request, v visit) {
	id := r.PathValue("id")
	var o workflows.OrderView
	if !p.read(w, r, v, "/v1/orders/"+url.PathEscape(id), &o) {
		return
	}
	view := orderPageView{OrderView: o, Who: p.who(v), CSRF: v.sess.CSRF, Done: p.takeDone(w, r),
		TotalText: money.Format(o.Total, o.Currency), WaitingFor: p.waitingFor(o, v.sess.Who.Role), PayURL: payURL(o)}
	view.Details, view.Lines = details(o)
	for _, d := range o.Deadlines {
		view.Deadlines = append(view.Deadlines, labelled{humanize(d.Name), p.when(d.At)})
	}
	for i := len(o.Timeline) - 1; i >= 0; i-- { // newest first
		e := o.Timeline[i]
		view.Timeline = append(view.Timeline, timelineRow{At: p.when(e.At), What: describeEntry(e),
			By: humanize(string(e.ActorRole)), Reason: e.Reason, Refused: e.Outcome == "refused"})
	}
	for _, d := range o.Documents {
		name := humanize(d.Kind)
		switch {
		case d.Number != "":
			name += " " + d.Number
		case d.Kind == workflows.SupplierInvoiceKind && d.Filename != "": // an upload: its file's name
			name += " (" + d.Filename + ")"
		}
		view.Documents = append(view.Documents, docLink{name, Prefix + "/orders/" + url.PathEscape(o.ID) + "/documents/" + url.PathEscape(d.ID)})
	}
	changes := slices.Contains(o.AllowedActions, lifecycle.RequestChanges)
	if o.Member != nil {
		for i, e := range o.Member.Schedule {
			row := scheduleRow{Date: clientpage.Date(e.Date), Status: humanize(e.Status), Draft: draftLink(o.ID, e), ChangeRequest: e.ChangeRequest}
			// Changes are asked on a draft, entry by entry: the form names
			// its entry (1-based, as the API counts) and asks only the comment.
			if changes && e.DraftDocument != "" && e.Invoice == nil {
				f := newActionForm(o.Flow, o.ID, v.sess.CSRF, lifecycle.RequestChanges)
				f.fix("entry", strconv.Itoa(i+1))
				f.ID, f.Label = fmt.Sprintf("%s-%d", f.Action, i+1), "Ask for changes"
				row.Changes = &f
			}
			view.Schedule = append(view.Schedule, row)
		}
	}
	for _, a := range o.AllowedActions {
		if a == lifecycle.RequestChanges && o.Member != nil {
			continue // on the schedule, by its drafts
		}
		f := newActionForm(o.Flow, o.ID, v.sess.CSRF, a)
		if a == lifecycle.Edit && o.Member != nil {
			f.prefill(editable(o))
		}
		view.Actions = append(view.Actions, f)
	}
	// The way forward first, the long forms next, what ends or refuses last.
	slices.SortStableFunc(view.Actions, func(a, b actionForm) int { return a.weight() - b.weight() })
	p.render(w, http.StatusOK, orderPage, view)
}

// waitingFor says who the order waits for now, as the API says it ("you"
// for the viewer's own role), until its nearest deadline.
func (p *Portal) waitingFor(o workflows.OrderView, viewer lifecycle.Role) string {
	var who []string
	for _, w := range o.WaitingFor {
		switch {
		case w.Role == viewer:
			who = append(who, "you")
		case w.Who != "":
			who = append(who, w.Who)
		default:
			who = append(who, humanize(string(w.Role)))
		}
	}
	if len(who) == 0 || o.Closed {
		return ""
	}
	text := strings.Join(who, ", ")
	if len(o.Deadlines) > 0 {
		next := slices.MinFunc(o.Deadlines, func(a, b workflows.Deadline) int { return a.At.Compare(b.At) })
		text += ", until " + p.when(next.At)
	}
	return text
}

// payURL is the order's pay link while it is unpaid, when the view has it.
func payURL(o workflows.OrderView) string {
	if m := o.Marketplace; m != nil && m.Payment != nil && !m.Payment.Paid {
		return m.Payment.URL
	}
	return ""
}

// details are what the order says, as far as the viewer's view shows it
// (the API narrows each part to the viewer's; an absent part is not shown).
func details(o workflows.OrderView) ([]labelled, []lineRow) {
	var out []labelled
	add := func(label, value string) {
		if strings.TrimSpace(value) != "" {
			out = append(out, labelled{label, value})
		}
	}
	var lines []lineRow
	line := func(description string, quantity money.Quantity, unit money.Amount, vat money.Rate) {
		lines = append(lines, lineRow{description, quantity.String(), money.Format(unit, o.Currency), clientpage.Rate(vat)})
	}
	if m := o.Marketplace; m != nil {
		add("Deliver to", strings.Join(m.Delivery.Address, ", "))
		add("Delivery wanted on", clientpage.Date(m.Delivery.RequestedDate))
		add("Payment", m.PaymentTerms)
		if m.MarginPercent != nil {
			add("Margin", clientpage.Rate(*m.MarginPercent))
		}
		if m.Supplier != nil {
			add("Supplier", m.Supplier.Name)
		}
		for _, it := range m.Items {
			line(it.Description, it.Quantity, it.UnitPrice, it.VATRate)
		}
	}
	if m := o.Member; m != nil {
		add("Member", m.MemberName)
		client := m.Client.Name
		if m.Client.Company != "" {
			client += ", " + m.Client.Company
		}
		add("Client", client)
		if m.ServicePeriod.Start != "" {
			add("Service period", clientpage.Period(m.ServicePeriod.Start, m.ServicePeriod.End))
		}
		add("Offer valid until", clientpage.Date(m.OfferValidUntil))
		for _, l := range m.Lines {
			line(l.Description, l.Quantity, l.UnitPrice, l.VATRate)
		}
	}
	return out, lines
}

func describeEntry(e workflows.TimelineEntry) string {
	if e.Outcome == "refused" {
		return humanize(string(e.Action)) + " refused"
	}
	if e.From == "" || e.From == e.To {
		return humanize(string(e.Action))
	}
	return fmt.Sprintf("%s: %s → %s", humanize(string(e.Action)), humanize(string(e.From)), humanize(string(e.To)))
}

func draftLink(orderID string, e workflows.Entry) string {
	if e.DraftDocument == "" {
		return ""
	}
	return Prefix + "/orders/" + url.PathEscape(orderID) + "/documents/" + url.PathEscape(e.DraftDocument)
}

// actionForm is the form of one action allowed now, built from its
// payload's fields: each value an input (an object's fields too, a list of
// values as one input separated by commas), a list of objects of values (a
// draft's lines) as rows of inputs; a list deeper than that (the schedule,
// whose entries hold lines) in one JSON field.
type actionForm struct {
	Action, Label, Flow, RequestID string
	URL, CSRF                      string // where it posts; the session's token
	// ID prefixes the ids of the form's controls: unique on the page.
	ID     string
	Fields []formField
	// Lists are the lists of objects of values, as rows of inputs.
	Lists []formList
	// Hidden are fields the page fills in (a schedule entry's number).
	Hidden []hiddenField
	JSON   bool
	// JSONLabel names what the JSON field holds; JSONValue is its current
	// value ("{}" when new).
	JSONLabel, JSONValue string
	// File is the PDF the person picks for the payload's document (the
	// supplier's invoice): the page uploads it first and sends its id.
	File   *formField
	Danger bool
}

// documentField is the payload field naming an uploaded document.
const documentField = "document"

type hiddenField struct{ Name, Value string }

// formList is a list of objects of values (a draft's lines): a row of
// inputs per item, and one blank row to add an item (a form without
// scripts cannot add rows: each save offers a new blank one). A row left
// blank is no item.
type formList struct {
	Name, Label string
	// Columns are the item's fields; Rows their values, row by row.
	Columns []formField
	Rows    [][]formField
}

// blankRows is how many empty rows a list offers for new items.
const blankRows = 1

// input is a field as the page writes it, with its control's id.
type input struct {
	ID string
	formField
}

// Inputs are the form's fields with their controls' ids.
func (f actionForm) Inputs() []input { return f.inputs(f.Fields) }

func (f actionForm) inputs(fields []formField) []input {
	out := make([]input, len(fields))
	for i, field := range fields {
		out[i] = input{f.ID + "-" + field.Name, field}
	}
	return out
}

// listView is a list as the page writes it: a group of inputs per row.
type listView struct {
	Label string
	Rows  []rowView
}

type rowView struct {
	Label  string
	Inputs []input
}

// ListViews are the form's lists, row by row.
func (f actionForm) ListViews() []listView {
	var out []listView
	for _, l := range f.Lists {
		v := listView{Label: l.Label}
		for i, row := range l.Rows {
			label := fmt.Sprintf("%s, row %d", l.Label, i+1)
			if i >= len(l.Rows)-blankRows {
				label = l.Label + ", a new row (optional)"
			}
			v.Rows = append(v.Rows, rowView{label, f.inputs(row)})
		}
		out = append(out, v)
	}
	return out
}

// fill makes the list's rows from items, then its blank rows; each input
// is named "list.row.field".
func (l *formList) fill(items []any) {
	l.Rows = nil
	for i := range len(items) + blankRows {
		var item map[string]any
		if i < len(items) {
			item, _ = items[i].(map[string]any)
		}
		row := make([]formField, len(l.Columns))
		for j, c := range l.Columns {
			c.Value = valueText(item[c.Name])
			c.Name = fmt.Sprintf("%s.%d.%s", l.Name, i, c.Name)
			row[j] = c
		}
		l.Rows = append(l.Rows, row)
	}
}

// prefill fills the form with current, the payload as the order says it
// now: the inputs with their fields, the JSON field with the rest.
func (f *actionForm) prefill(current map[string]any) {
	for i := range f.Fields {
		field := &f.Fields[i]
		v := take(current, field.Name)
		field.Value, field.Checked = valueText(v), v == true
	}
	for i := range f.Lists {
		items, _ := take(current, f.Lists[i].Name).([]any)
		f.Lists[i].fill(items)
	}
	if f.JSON && len(current) > 0 {
		if b, err := json.MarshalIndent(current, "", "  "); err == nil {
			f.JSONValue = string(b)
		}
	}
}

// editable is a member order's content as the edit action takes it, from
// the member's view of the order: the edit form starts from what the
// draft says, rather than from nothing.
func editable(o workflows.OrderView) map[string]any {
	m := o.Member
	content := workflows.MemberContent{Client: m.Client, Title: o.Title, Lines: m.Lines, ServicePeriod: m.ServicePeriod,
		OfferValidUntil: m.OfferValidUntil, SkipClientConfirmation: m.SkipConfirmation, ProofReference: m.ProofReference}
	for _, e := range m.Schedule {
		content.Schedule = append(content.Schedule, workflows.ScheduleEntry{Date: e.Date, Lines: e.Lines})
	}
	b, err := json.Marshal(content)
	var out map[string]any
	if err != nil || json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

// valueText is a JSON value as an input shows it: a list of values
// separated by commas, nothing for an object or a boolean (a checkbox).
func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		var values []string
		for _, item := range v {
			values = append(values, valueText(item))
		}
		return strings.Join(values, ", ")
	}
	return ""
}

// take removes the value at path ("client.name": an object's field) from m
// and returns it; an object left empty goes too.
func take(m map[string]any, path string) any {
	parent, name, nested := strings.Cut(path, ".")
	if !nested {
		v := m[parent]
		delete(m, parent)
		return v
	}
	inner, _ := m[parent].(map[string]any)
	if inner == nil {
		return nil
	}
	v := take(inner, name)
	if len(inner) == 0 {
		delete(m, parent)
	}
	return v
}

func (f actionForm) weight() int {
	switch {
	case f.Danger:
		return 2
	case f.JSON:
		return 1
	}
	return 0
}

// fix makes the field name a hidden one with value.
func (f *actionForm) fix(name, value string) {
	f.Fields = slices.DeleteFunc(f.Fields, func(field formField) bool { return field.Name == name })
	f.Hidden = append(f.Hidden, hiddenField{name, value})
}

type formField struct {
	Name, Label, Type, Hint string
	Required                bool
	// Value and Checked are the field's current value, when the form
	// changes what the order says (edit).
	Value   string
	Checked bool
}

// dangerous actions are shown as the secondary button.
var dangerous = []lifecycle.Action{lifecycle.Cancel, lifecycle.Decline, lifecycle.Reject, lifecycle.RequestCancellation,
	lifecycle.Discard, lifecycle.DeclineCredit, lifecycle.CannotFulfil, lifecycle.RejectReturn, lifecycle.RejectResalable, lifecycle.DenyCancellation}

func newActionForm(flow, orderID, csrf string, a lifecycle.Action) actionForm {
	f := actionForm{Action: string(a), ID: string(a), Label: capitalize(humanize(string(a))), Flow: flow, RequestID: "page-" + randomToken()[:22],
		Danger: slices.Contains(dangerous, a), CSRF: csrf}
	if orderID != "" {
		f.URL = Prefix + "/orders/" + url.PathEscape(orderID) + "/actions/" + url.PathEscape(string(a))
	}
	var inJSON []string
	fields := workflows.PayloadFieldsOf(flow, a)
	for _, field := range fields {
		path := field.Path
		kind, required := strings.CutSuffix(field.Kind, ", required")
		name := humanize(strings.ReplaceAll(path, ".", " "))
		label := fieldLabel(name)
		switch {
		case strings.Contains(path, "["):
			// inside a list of objects: its rows or the JSON field carry it
		case kind == "list of objects" && !strings.Contains(path, "."):
			if columns, ok := valueColumns(fields, path); ok {
				l := formList{Name: path, Label: label, Columns: columns}
				l.fill(nil)
				f.Lists = append(f.Lists, l)
				continue
			}
			f.JSON, inJSON = true, append(inJSON, name)
		case path == documentField && kind == "object":
			f.File = &formField{Name: documentField, Label: "PDF file", Required: required}
		case strings.HasPrefix(path, documentField+"."):
			// the uploaded file's record, which the API fills in
		case kind == "object":
			// its fields are inputs of their own
		case kind == "list of strings":
			f.Fields = append(f.Fields, formField{Name: path, Label: label, Type: listType, Hint: "One or more, separated by commas", Required: required})
		case strings.HasPrefix(kind, "list of"):
			f.JSON, inJSON = true, append(inJSON, name)
		default:
			f.Fields = append(f.Fields, formField{Name: path, Label: label, Type: inputType(kind), Hint: hint(kind), Required: required})
		}
	}
	f.JSONLabel = capitalize(strings.Join(inJSON, " and "))
	return f
}

// valueColumns are the fields of the items of the list of objects at path,
// when each is a value (no list or object inside): the columns of its rows.
func valueColumns(fields []workflows.PayloadField, path string) ([]formField, bool) {
	var columns []formField
	for _, field := range fields {
		name, ok := strings.CutPrefix(field.Path, path+"[].")
		if !ok {
			continue
		}
		kind, _ := strings.CutSuffix(field.Kind, ", required")
		if strings.ContainsAny(name, ".[") || kind == "object" || strings.HasPrefix(kind, "list of") {
			return nil, false
		}
		columns = append(columns, formField{Name: name, Label: fieldLabel(humanize(name)), Type: inputType(kind), Hint: hint(kind)})
	}
	return columns, len(columns) > 0
}

// listType is the type of an input that takes a list of values.
const listType = "list"

func inputType(kind string) string {
	switch {
	case kind == "true or false":
		return "checkbox"
	case strings.HasPrefix(kind, "decimal"):
		return "decimal"
	case strings.Contains(kind, "number") || strings.Contains(kind, "integer"):
		return "number"
	}
	return "text"
}

// hint says what a field takes, when its label does not: a decimal takes
// a number with a point, a whole number or a date its form; text nothing.
func hint(kind string) string {
	switch {
	case strings.HasPrefix(kind, "decimal"):
		return "A number, like 12.50"
	case kind == "whole number" || kind == "integer":
		return "A whole number"
	case kind == "string" || kind == "true or false":
		return ""
	}
	return capitalize(kind)
}

// fieldLabel is a field's name as a label: "client vat number" reads
// "Client VAT number".
func fieldLabel(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		if w == "vat" || w == "id" || w == "url" {
			words[i] = strings.ToUpper(w)
		}
	}
	return capitalize(strings.Join(words, " "))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// act sends a form's action to the API; done, the order page says so,
// refused, the API's answer is shown with its status.
func (p *Portal) act(w http.ResponseWriter, r *http.Request, v visit) {
	id, action := r.PathValue("id"), lifecycle.Action(r.PathValue("action"))
	form := newActionForm(r.PostFormValue("flow"), "", "", action)
	body, problem := formPayload(r, form)
	if problem != "" {
		p.render(w, http.StatusUnprocessableEntity, problemPage, problemView{Title: "The form could not be read", Message: problem + " Go back and correct it; nothing was changed."})
		return
	}
	if form.File != nil {
		docID, ok := p.uploadDocument(w, r, v, id, form.File.Name)
		if !ok {
			return
		}
		if docID != "" {
			body[form.File.Name] = docID
		}
	}
	a, err := p.call(r, v, http.MethodPost, "/v1/orders/"+url.PathEscape(id)+"/actions/"+url.PathEscape(string(action)), body)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if a.status >= 300 {
		p.apiRefused(w, a.problem())
		return
	}
	target := id
	if loc, ok := strings.CutPrefix(a.header.Get("Location"), "/v1/orders/"); ok { // a duplicate opens the new order
		target = loc
	}
	// The page it opens says what was done, once: from a cookie of this
	// site, not the URL, where a link from anyone could put words on it,
	// and a reload repeats nothing.
	p.setCookie(w, doneCookie, string(action), Prefix, time.Now().Add(time.Minute))
	http.Redirect(w, r, Prefix+"/orders/"+url.PathEscape(target), http.StatusSeeOther)
}

// uploadDocument sends the PDF picked in the form's field, if any, to the
// API (POST /v1/orders/{id}/documents), which stores it for the action and
// answers its id; false: the request was answered (the API's refusal).
func (p *Portal) uploadDocument(w http.ResponseWriter, r *http.Request, v visit, orderID, field string) (string, bool) {
	file, header, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return "", true
	}
	if err != nil {
		p.render(w, http.StatusBadRequest, problemPage, problemView{Title: "The file could not be read",
			Message: "The PDF did not arrive whole (" + err.Error() + "). Go back and pick it again; nothing was changed."})
		return "", false
	}
	defer file.Close()
	if header.Size == 0 {
		return "", true // an empty file field: no file picked
	}
	a, err := p.send(r, v, http.MethodPost, "/v1/orders/"+url.PathEscape(orderID)+"/documents?"+url.Values{"filename": {header.Filename}}.Encode(), "application/pdf", file)
	if err != nil {
		p.serverError(w, r, err)
		return "", false
	}
	if a.status != http.StatusCreated {
		p.apiRefused(w, a.problem())
		return "", false
	}
	var ref struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.body, &ref); err != nil || ref.ID == "" {
		p.serverError(w, r, fmt.Errorf("upload answered %s", a.body))
		return "", false
	}
	return ref.ID, true
}

// formPayload is the action's JSON body from the form: the JSON field as
// the base, the inputs over it, and the form's request id, which makes a
// form sent twice apply once.
func formPayload(r *http.Request, f actionForm) (map[string]any, string) {
	body := map[string]any{}
	if raw := strings.TrimSpace(r.PostFormValue("payload")); f.JSON && raw != "" {
		if err := json.Unmarshal([]byte(raw), &body); err != nil {
			return nil, "The details field must be a JSON object, like {\"reason\": \"…\"}: " + err.Error() + "."
		}
	}
	for _, field := range f.Fields {
		v, ok, problem := field.parse(r.PostFormValue(field.Name))
		if problem != "" {
			return nil, problem
		}
		if ok {
			put(body, field.Name, v)
		}
	}
	for _, l := range f.Lists {
		items, problem := listItems(r, l)
		if problem != "" {
			return nil, problem
		}
		if len(items) > 0 {
			body[l.Name] = items
		}
	}
	if rid := r.PostFormValue("request_id"); rid != "" {
		body["request_id"] = rid
	}
	return body, ""
}

// listItems are the items of the list's rows as sent, blank rows left out.
func listItems(r *http.Request, l formList) ([]map[string]any, string) {
	var items []map[string]any
	for i := 0; ; i++ {
		prefix := fmt.Sprintf("%s.%d.", l.Name, i)
		if _, ok := r.PostForm[prefix+l.Columns[0].Name]; !ok {
			return items, ""
		}
		item := map[string]any{}
		for _, c := range l.Columns {
			v, ok, problem := c.parse(r.PostFormValue(prefix + c.Name))
			if problem != "" {
				return nil, fmt.Sprintf("%s, row %d: %s", l.Label, i+1, problem)
			}
			if ok && v != false { // an unticked box alone makes no item
				item[c.Name] = v
			}
		}
		if len(item) > 0 {
			items = append(items, item)
		}
	}
}

// parse is the field's value as sent in the form, as the JSON body takes
// it; false when the field says nothing (left empty), with a problem when
// it cannot be read.
func (field formField) parse(value string) (any, bool, string) {
	value = strings.TrimSpace(value)
	switch {
	case field.Type == "checkbox":
		return value == "on" || value == "true", true, ""
	case value == "":
		return nil, false, ""
	case field.Type == "number":
		n, err := strconv.Atoi(value)
		if err != nil {
			return nil, false, fmt.Sprintf("%s must be a whole number, not %q.", field.Label, value)
		}
		return n, true, ""
	case field.Type == listType:
		var values []string
		for v := range strings.SplitSeq(value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				values = append(values, v)
			}
		}
		return values, true, ""
	}
	return value, true, ""
}

// put sets the value at path ("client.name": an object's field) in m.
func put(m map[string]any, path string, v any) {
	parent, name, nested := strings.Cut(path, ".")
	if !nested {
		m[parent] = v
		return
	}
	inner, ok := m[parent].(map[string]any)
	if !ok {
		inner = map[string]any{}
		m[parent] = inner
	}
	put(inner, name, v)
}

func (p *Portal) document(w http.ResponseWriter, r *http.Request, v visit) {
	p.forward(w, r, v, "/v1/orders/"+url.PathEscape(r.PathValue("id"))+"/documents/"+url.PathEscape(r.PathValue("doc")))
}
