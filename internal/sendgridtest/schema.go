package sendgridtest

import (
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// SendGrid's published description of the mail-send API (twilio/sendgrid-oai,
// MIT licensed; see schema/README.md and schema/LICENSE).
var (
	//go:embed schema/tsg_mail_v3.json
	mailSendSpec []byte
	//go:embed schema/LICENSE
	mailSendSpecLicense string
)

const (
	specURL = "https://sendgrid.local/tsg_mail_v3.json"
	// The request body of POST /v3/mail/send, as a JSON pointer into the document.
	requestBodyPointer = "/components/requestBodies/PostMailSend/content/application~1json/schema"
)

// compileMailSendSchema compiles the request-body schema of POST /v3/mail/send.
// $refs such as #/components/schemas/MailTo resolve within the same document
// because the schema is compiled as a fragment of the whole OpenAPI document.
func compileMailSendSchema() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(mailSendSpec))
	if err != nil {
		return nil, fmt.Errorf("parse mail-send spec: %w", err)
	}
	if err := patchCustomArgs(doc); err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020) // what OpenAPI 3.1 schema objects are
	c.AssertFormat()                     // SendGrid rejects malformed addresses
	if err := c.AddResource(specURL, doc); err != nil {
		return nil, fmt.Errorf("load mail-send spec: %w", err)
	}
	sch, err := c.Compile(specURL + "#" + requestBodyPointer)
	if err != nil {
		return nil, fmt.Errorf("compile mail-send request schema: %w", err)
	}
	return sch, nil
}

// patchCustomArgs fixes a known error of the published document: the
// message-level custom_args is typed as a string there, while the API takes
// (and the official clients send) an object of string values.
func patchCustomArgs(doc any) error {
	node, err := lookup(doc, requestBodyPointer+"/properties/custom_args")
	if err != nil {
		return err
	}
	props, ok := node.(map[string]any)
	if !ok {
		return fmt.Errorf("mail-send spec: custom_args is not a schema object")
	}
	props["type"] = "object"
	props["additionalProperties"] = map[string]any{"type": "string"}
	return nil
}

func lookup(doc any, pointer string) (any, error) {
	node := doc
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		obj, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("mail-send spec: no %s", pointer)
		}
		if node, ok = obj[tok]; !ok {
			return nil, fmt.Errorf("mail-send spec: no %s", pointer)
		}
	}
	return node, nil
}

var printer = message.NewPrinter(language.English)

// violationsOf flattens a validation error into one violation per failed
// keyword, each naming the offending field the way SendGrid does
// ("personalizations.0.to").
func violationsOf(err error) []Violation {
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []Violation{{Message: err.Error()}}
	}
	var out []Violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		field := fieldPath(e.InstanceLocation)
		if req, ok := e.ErrorKind.(*kind.Required); ok {
			for _, missing := range req.Missing {
				out = append(out, Violation{Field: joinField(field, missing), Message: "is required"})
			}
			return
		}
		out = append(out, Violation{Field: field, Message: e.ErrorKind.LocalizedString(printer)})
	}
	walk(ve)
	return out
}

func fieldPath(location []string) string { return strings.Join(location, ".") }

func joinField(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

func indexField(parent string, i int, child string) string {
	return joinField(joinField(parent, strconv.Itoa(i)), child)
}
