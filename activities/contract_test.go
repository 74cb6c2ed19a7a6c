package activities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/pdf"
	"github.com/orderflow/orderflow/internal/store"
)

// The mirrors of contract.go must keep encoding like their originals: the
// workflows recorded the originals' JSON in running orders' histories.

// mirrors pairs each mirror with the type it mirrors.
var mirrors = []struct{ mirror, original any }{
	{Address{}, email.Address{}},
	{Document{}, pdf.Document{}},
	{OrderRow{}, store.Order{}},
	{TimelineRow{}, store.TimelineEntry{}},
}

// Same field names in the same order, same tags, same kinds, all the way
// down; types both use (time.Time, money.Line, json.RawMessage) are shared.
func TestMirrorsHaveTheFieldsOfTheirOriginals(t *testing.T) {
	for _, m := range mirrors {
		sameShape(t, reflect.TypeOf(m.mirror), reflect.TypeOf(m.original), reflect.TypeOf(m.mirror).Name())
	}
}

func sameShape(t *testing.T, mirror, original reflect.Type, path string) {
	t.Helper()
	if mirror == original {
		return
	}
	if mirror.Kind() != original.Kind() {
		t.Errorf("%s: %s is a %s, its original %s a %s", path, mirror, mirror.Kind(), original, original.Kind())
		return
	}
	switch mirror.Kind() {
	case reflect.Struct:
		if names(mirror) != names(original) {
			t.Errorf("%s: fields\n  %s\nin %s, but\n  %s\nin %s", path, names(mirror), mirror, names(original), original)
			return
		}
		for i := range mirror.NumField() {
			mf, of := mirror.Field(i), original.Field(i)
			if mf.Tag != of.Tag || mf.Anonymous != of.Anonymous {
				t.Errorf("%s.%s: tag %q (embedded %v), its original's %q (embedded %v)", path, mf.Name, mf.Tag, mf.Anonymous, of.Tag, of.Anonymous)
			}
			sameShape(t, mf.Type, of.Type, path+"."+mf.Name)
		}
	case reflect.Pointer, reflect.Slice:
		sameShape(t, mirror.Elem(), original.Elem(), path+"[]")
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
		// A named string (DocumentKind for pdf.Kind) encodes like its original.
	default:
		t.Errorf("%s: %s is a %s, which this test does not compare with %s", path, mirror, mirror.Kind(), original)
	}
}

func names(t reflect.Type) string {
	var b bytes.Buffer
	for i := range t.NumField() {
		fmt.Fprintf(&b, "%s ", t.Field(i).Name)
	}
	return b.String()
}

// A fully populated mirror decodes into its original, which encodes to the
// same JSON; and the other way round.
func TestMirrorsEncodeLikeTheirOriginals(t *testing.T) {
	for _, m := range mirrors {
		for _, pair := range [][2]reflect.Type{
			{reflect.TypeOf(m.mirror), reflect.TypeOf(m.original)},
			{reflect.TypeOf(m.original), reflect.TypeOf(m.mirror)},
		} {
			from := populated(t, pair[0])
			want := marshal(t, from)
			to := reflect.New(pair[1])
			dec := json.NewDecoder(bytes.NewReader(want))
			dec.DisallowUnknownFields()
			if err := dec.Decode(to.Interface()); err != nil {
				t.Errorf("%s's JSON does not decode into %s: %v\n%s", pair[0], pair[1], err, want)
				continue
			}
			if got := marshal(t, to.Elem().Interface()); !bytes.Equal(got, want) {
				t.Errorf("%s encodes differently from %s:\n%s\n%s", pair[1], pair[0], got, want)
			}
		}
	}
}

// The mapping functions copy every field: a fully populated mirror, mapped,
// encodes like the mirror (every field has a distinct value, so a field
// left out or copied into another shows). Empty values map to empty ones.
func TestMappingsCopyEveryField(t *testing.T) {
	maps := map[string]func(v reflect.Value) any{
		"emailAddress":       func(v reflect.Value) any { return emailAddress(v.Interface().(Address)) },
		"emailAddresses":     func(v reflect.Value) any { return emailAddresses(v.Interface().([]Address)) },
		"pdfDocument":        func(v reflect.Value) any { return pdfDocument(v.Interface().(Document)) },
		"storeOrder":         func(v reflect.Value) any { return storeOrder(v.Interface().(OrderRow)) },
		"storeTimelineEntry": func(v reflect.Value) any { return storeTimelineEntry(v.Interface().(TimelineRow)) },
	}
	inputs := map[string]reflect.Type{
		"emailAddress": reflect.TypeOf(Address{}), "emailAddresses": reflect.TypeOf([]Address{}),
		"pdfDocument": reflect.TypeOf(Document{}), "storeOrder": reflect.TypeOf(OrderRow{}),
		"storeTimelineEntry": reflect.TypeOf(TimelineRow{}),
	}
	for name, mapping := range maps {
		full := populated(t, inputs[name])
		if got, want := marshal(t, mapping(reflect.ValueOf(full))), marshal(t, full); !bytes.Equal(got, want) {
			t.Errorf("%s does not copy every field:\n got %s\nwant %s", name, got, want)
		}
		empty := reflect.Zero(inputs[name])
		if got, want := marshal(t, mapping(empty)), marshal(t, empty.Interface()); !bytes.Equal(got, want) {
			t.Errorf("%s of an empty value:\n got %s\nwant %s", name, got, want)
		}
	}
}

// The constants the workflows write are the values the store and the
// renderer know.
func TestContractConstantsAreTheOriginals(t *testing.T) {
	for mine, theirs := range map[string]string{
		string(InvoiceDraftDocument): string(pdf.InvoiceDraft), string(InvoiceDocument): string(pdf.Invoice),
		string(CreditNoteDocument): string(pdf.CreditNote), string(PurchaseOrderDocument): string(pdf.PurchaseOrder),
		OutcomeApplied: store.OutcomeApplied, OutcomeRefused: store.OutcomeRefused,
		ViaSignal: store.ViaSignal, ViaCancelRequest: store.ViaCancelRequest,
	} {
		if mine != theirs {
			t.Errorf("contract constant %q, original %q", mine, theirs)
		}
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// populated is a value of type typ with every field set, each leaf to a
// value of its own: strings, numbers and times differ field by field,
// pointers point, slices hold two elements.
func populated(t *testing.T, typ reflect.Type) any {
	t.Helper()
	v := reflect.New(typ).Elem()
	n := 0
	fill(t, v, &n)
	return v.Interface()
}

func fill(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	*n++
	switch {
	case v.Type() == reflect.TypeOf(time.Time{}):
		v.Set(reflect.ValueOf(time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC).Add(time.Duration(*n) * time.Hour)))
		return
	case v.Type() == reflect.TypeOf(json.RawMessage{}):
		v.SetBytes([]byte(fmt.Sprintf(`{"n":%d}`, *n)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(t, v.Index(0), n)
		fill(t, v.Index(1), n)
	default:
		t.Fatalf("populated: a field of kind %s (%s); teach fill about it", v.Kind(), v.Type())
	}
}
