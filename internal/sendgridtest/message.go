package sendgridtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Address is a sender or recipient.
type Address struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Personalization is one envelope of a message.
type Personalization struct {
	To      []Address `json:"to"`
	Cc      []Address `json:"cc"`
	Bcc     []Address `json:"bcc"`
	Subject string    `json:"subject"`
}

// Content is one body of a message in one MIME type.
type Content struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Attachment is an attached file, decoded.
type Attachment struct {
	Filename    string
	Type        string
	Disposition string
	Content     []byte
	Size        int // bytes after base64 decoding
}

// Message is an accepted mail-send request.
type Message struct {
	ID               string // the X-Message-Id it was answered with
	From             Address
	ReplyTo          *Address
	Subject          string // the message-level subject
	Personalizations []Personalization
	Contents         []Content // in request order
	Attachments      []Attachment
	CustomArgs       map[string]string
	Categories       []string
	Body             []byte // the request body as received
}

// Content returns the body of the given MIME type ("text/plain",
// "text/html"), or "" if the message has none.
func (m Message) Content(mimeType string) string {
	for _, c := range m.Contents {
		if c.Type == mimeType {
			return c.Value
		}
	}
	return ""
}

// To lists the To recipients of every personalization.
func (m Message) To() []Address {
	var to []Address
	for _, p := range m.Personalizations {
		to = append(to, p.To...)
	}
	return to
}

// Violation is one thing wrong with a refused request.
type Violation struct {
	Field   string // SendGrid-style path such as "personalizations.0.to"; "" for the whole request
	Message string
}

func (v Violation) String() string {
	if v.Field == "" {
		return v.Message
	}
	return v.Field + ": " + v.Message
}

// wireMail is the part of a request body the stand-in reads back.
type wireMail struct {
	Personalizations []Personalization `json:"personalizations"`
	From             Address           `json:"from"`
	ReplyTo          *Address          `json:"reply_to"`
	Subject          string            `json:"subject"`
	Content          []Content         `json:"content"`
	Attachments      []struct {
		Content     string `json:"content"`
		Type        string `json:"type"`
		Filename    string `json:"filename"`
		Disposition string `json:"disposition"`
	} `json:"attachments"`
	TemplateID string            `json:"template_id"`
	Categories []string          `json:"categories"`
	CustomArgs map[string]string `json:"custom_args"`
}

// parseMessage reads a schema-valid body and applies the rules of SendGrid's
// mail-send documentation that its schema does not state.
func parseMessage(body []byte) (Message, []Violation) {
	var w wireMail
	if err := json.Unmarshal(body, &w); err != nil {
		return Message{}, []Violation{{Message: fmt.Sprintf("The request body cannot be read: %v", err)}}
	}
	vs := checkContents(w)
	vs = append(vs, checkSubject(w)...)
	vs = append(vs, checkUniqueRecipients(w)...)
	attachments, avs := decodeAttachments(w)
	vs = append(vs, avs...)
	if len(vs) > 0 {
		return Message{}, vs
	}
	return Message{
		From:             w.From,
		ReplyTo:          w.ReplyTo,
		Subject:          w.Subject,
		Personalizations: w.Personalizations,
		Contents:         w.Content,
		Attachments:      attachments,
		CustomArgs:       w.CustomArgs,
		Categories:       w.Categories,
		Body:             body,
	}, nil
}

// checkContents: content is required unless a template supplies it, and
// text/plain, when present, comes first, followed by text/html.
func checkContents(w wireMail) []Violation {
	if len(w.Content) == 0 {
		if w.TemplateID == "" {
			return []Violation{{Field: "content", Message: "Unless a valid template_id is provided, the content parameter is required."}}
		}
		return nil
	}
	var vs []Violation
	for i, c := range w.Content {
		switch {
		case c.Type == "text/plain" && i != 0:
			vs = append(vs, Violation{Field: indexField("content", i, "type"), Message: "If present, text/plain must be first, followed by text/html, followed by any other content."})
		case c.Type == "text/html" && i > 0 && w.Content[0].Type != "text/plain":
			vs = append(vs, Violation{Field: indexField("content", i, "type"), Message: "If present, text/html must come right after text/plain, or first."})
		case c.Type == "text/html" && i > 1:
			vs = append(vs, Violation{Field: indexField("content", i, "type"), Message: "If present, text/html must come right after text/plain, or first."})
		}
	}
	return vs
}

// checkSubject: a subject is required at the message level unless every
// personalization (or a template) has one.
func checkSubject(w wireMail) []Violation {
	if w.Subject != "" || w.TemplateID != "" {
		return nil
	}
	for i, p := range w.Personalizations {
		if p.Subject == "" {
			return []Violation{{Field: indexField("personalizations", i, "subject"), Message: "The subject is required. It may be set at the message level or in every personalization."}}
		}
	}
	return nil
}

// checkUniqueRecipients: an address may appear once per personalization,
// across to, cc and bcc together.
func checkUniqueRecipients(w wireMail) []Violation {
	var vs []Violation
	for i, p := range w.Personalizations {
		seen := map[string]bool{}
		for _, list := range []struct {
			name  string
			addrs []Address
		}{{"to", p.To}, {"cc", p.Cc}, {"bcc", p.Bcc}} {
			for j, a := range list.addrs {
				key := strings.ToLower(a.Email)
				if seen[key] {
					field := indexField(indexField("personalizations", i, list.name), j, "email")
					vs = append(vs, Violation{Field: field, Message: "Each email address in the personalization block should be unique between to, cc, and bcc."})
				}
				seen[key] = true
			}
		}
	}
	return vs
}

func decodeAttachments(w wireMail) ([]Attachment, []Violation) {
	var out []Attachment
	var vs []Violation
	for i, a := range w.Attachments {
		content, err := base64.StdEncoding.DecodeString(a.Content)
		if err != nil {
			vs = append(vs, Violation{Field: indexField("attachments", i, "content"), Message: "The attachment content must be base64 encoded."})
			continue
		}
		out = append(out, Attachment{
			Filename:    a.Filename,
			Type:        a.Type,
			Disposition: a.Disposition,
			Content:     content,
			Size:        len(content),
		})
	}
	return out, vs
}
