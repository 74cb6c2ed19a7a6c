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
// too; only lists of objects are left to the JSON field, which says what
// it holds.
func TestFormsHaveAnInputPerValue(t *testing.T) {
	edit := newActionForm(lifecycle.MemberFlow.Name, "ord_1", "csrf", lifecycle.Edit)
	want := []string{"client.name:text", "client.company:text", "client.vat_number:text", "client.email:text", "title:text",
		"service_period.start:text", "service_period.end:text", "offer_valid_until:text", "skip_client_confirmation:checkbox", "proof_reference:text"}
	if got := fieldNames(edit); !slices.Equal(got, want) {
		t.Errorf("edit's inputs = %v, want %v", got, want)
	}
	if !edit.JSON || edit.JSONLabel != "Lines and schedule" {
		t.Errorf("edit's JSON field: %v %q, want one for the lines and the schedule", edit.JSON, edit.JSONLabel)
	}
	if label := edit.Fields[0].Label; label != "Client name" {
		t.Errorf("client.name is labelled %q", label)
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
	if err := json.Unmarshal([]byte(edit.JSONValue), &rest); err != nil || len(rest) != 2 || rest["lines"] == nil || rest["schedule"] == nil {
		t.Errorf("the JSON field holds %s, want the lines and the schedule only", edit.JSONValue)
	}

	form := url.Values{"client.name": {"Carla"}, "client.email": {"carla@client.test"}, "title": {"Website"},
		"payload": {edit.JSONValue}, "request_id": {"r-1"}}
	body, problem := formPayload(post(form), edit)
	if problem != "" {
		t.Fatal(problem)
	}
	want := map[string]any{
		"client": map[string]any{"name": "Carla", "email": "carla@client.test"}, "title": "Website",
		"skip_client_confirmation": false, "lines": rest["lines"], "schedule": rest["schedule"], "request_id": "r-1",
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
