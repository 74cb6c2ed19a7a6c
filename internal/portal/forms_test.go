package portal

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
)

func fieldNames(f actionForm) []string {
	var out []string
	for _, field := range f.Fields {
		out = append(out, field.Name+":"+field.Type)
	}
	return out
}

// Every value of a payload is an input of its own, an object's fields
// too, and a list of objects of values rows of them; only a list deeper
// than that is left to the JSON field, which says what it holds.
func TestFormsHaveAnInputPerValue(t *testing.T) {
	edit := newActionForm(lifecycle.MemberFlow.Name, "ord_1", "csrf", lifecycle.Edit)
	want := []string{"client.name:text", "client.company:text", "client.vat_number:text", "client.email:text", "title:text",
		"service_period.start:text", "service_period.end:text", "offer_valid_until:text", "skip_client_confirmation:checkbox", "proof_reference:text"}
	if got := fieldNames(edit); !slices.Equal(got, want) {
		t.Errorf("edit's inputs = %v, want %v", got, want)
	}
	if !edit.JSON || edit.JSONLabel != "Schedule" {
		t.Errorf("edit's JSON field: %v %q, want one for the schedule (its entries hold lines)", edit.JSON, edit.JSONLabel)
	}
	lineColumns := []string{"description:text", "quantity:decimal", "unit_price:decimal", "vat_rate:decimal"}
	for _, f := range []actionForm{edit, newActionForm(lifecycle.MemberFlow.Name, "ord_1", "csrf", lifecycle.ResolveChanges)} {
		if len(f.Lists) != 1 || f.Lists[0].Name != "lines" || !slices.Equal(fieldNames(actionForm{Fields: f.Lists[0].Columns}), lineColumns) || len(f.Lists[0].Rows) != blankRows {
			t.Errorf("%s's lists = %+v, want the lines as rows, one blank", f.Action, f.Lists)
		}
	}
	if name, vat := edit.Fields[0].Label, edit.Fields[2].Label; name != "Client name" || vat != "Client VAT number" {
		t.Errorf("client.name and client.vat_number are labelled %q and %q", name, vat)
	}

	duplicate := newActionForm(lifecycle.MemberFlow.Name, "ord_1", "csrf", lifecycle.Duplicate)
	if got := fieldNames(duplicate); !slices.Equal(got, []string{"to_draft:checkbox", "offer_valid_until:text", "schedule_dates:" + listType}) || duplicate.JSON {
		t.Errorf("duplicate's inputs = %v (JSON %v), want its dates as inputs", got, duplicate.JSON)
	}

	// The invoice's document is the uploaded file, never fields to type.
	upload := newActionForm(lifecycle.MarketplaceFlow.Name, "ord_1", "csrf", lifecycle.UploadInvoice)
	if got := fieldNames(upload); !slices.Equal(got, []string{"number:text", "amount:decimal"}) || upload.File == nil || upload.JSON {
		t.Errorf("upload_invoice's inputs = %v, file %v, JSON %v", got, upload.File, upload.JSON)
	}
}

func TestAFormStartsFromTheOrderAndSendsItBack(t *testing.T) {
	edit := newActionForm(lifecycle.MemberFlow.Name, "ord_1", "csrf", lifecycle.Edit)
	current := map[string]any{
		"client":         map[string]any{"name": "Carl", "email": "carl@client.test"},
		"title":          "Website",
		"service_period": map[string]any{"start": "2027-01-01"},
		"lines":          []any{map[string]any{"description": "Build"}},
		"schedule":       []any{map[string]any{"date": "2027-02-01"}},
	}
	edit.prefill(current)
	values := map[string]string{}
	for _, f := range edit.Fields {
		values[f.Name] = f.Value
	}
	if values["client.name"] != "Carl" || values["client.email"] != "carl@client.test" || values["service_period.start"] != "2027-01-01" || values["title"] != "Website" {
		t.Errorf("prefilled inputs = %v", values)
	}
	var rest map[string]any
	if err := json.Unmarshal([]byte(edit.JSONValue), &rest); err != nil || len(rest) != 1 || rest["schedule"] == nil {
		t.Errorf("the JSON field holds %s, want the schedule only", edit.JSONValue)
	}
	if rows := edit.Lists[0].Rows; len(rows) != 1+blankRows || rows[0][0].Name != "lines.0.description" || rows[0][0].Value != "Build" || rows[1][0].Value != "" {
		t.Errorf("the lines' rows = %+v, want the line, then a blank row", rows)
	}

	form := url.Values{"client.name": {"Carla"}, "client.email": {"carla@client.test"}, "title": {"Website"},
		"lines.0.description": {"Build"}, "lines.0.quantity": {"2"}, "lines.0.unit_price": {""}, "lines.0.vat_rate": {"21"},
		"lines.1.description": {" "}, "lines.1.quantity": {""}, "lines.1.unit_price": {""}, "lines.1.vat_rate": {""},
		"payload": {edit.JSONValue}, "request_id": {"r-1"}}
	body, problem := formPayload(post(form), edit)
	if problem != "" {
		t.Fatal(problem)
	}
	want := map[string]any{
		"client": map[string]any{"name": "Carla", "email": "carla@client.test"}, "title": "Website",
		"skip_client_confirmation": false, "schedule": rest["schedule"], "request_id": "r-1",
		"lines": []map[string]any{{"description": "Build", "quantity": "2", "vat_rate": "21"}}, // the blank row is no line
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body = %v\nwant %v", body, want)
	}

	duplicate := newActionForm(lifecycle.MemberFlow.Name, "ord_1", "csrf", lifecycle.Duplicate)
	body, _ = formPayload(post(url.Values{"schedule_dates": {" 2027-02-01, ,2027-03-01 "}}), duplicate)
	if dates, _ := body["schedule_dates"].([]string); !slices.Equal(dates, []string{"2027-02-01", "2027-03-01"}) {
		t.Errorf("schedule_dates = %#v", body["schedule_dates"])
	}
}

func post(form url.Values) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}
