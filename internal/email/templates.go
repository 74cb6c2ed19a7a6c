package email

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"
)

//go:embed templates/*
var templateFiles embed.FS

const layoutFile = "layout.tmpl"

// Templates renders the emails of every purpose from the embedded files:
// templates/layout.tmpl is the shared frame, every other templates/<purpose>.tmpl
// one purpose (see layout.tmpl for what such a file defines).
type Templates struct {
	purposes map[string]purposeTemplates
}

type purposeTemplates struct {
	text *texttemplate.Template // subject and text body
	html *htmltemplate.Template // HTML body, escaped for its context
}

// Link is a call to action, as the layout's "button" template shows it.
type Link struct{ URL, Label string }

var templateFuncs = map[string]any{
	"link": func(url, label string) Link { return Link{URL: url, Label: label} },
}

// LoadTemplates parses every embedded template.
func LoadTemplates() (*Templates, error) {
	layout, err := fs.ReadFile(templateFiles, path.Join("templates", layoutFile))
	if err != nil {
		return nil, fmt.Errorf("email templates: %w", err)
	}
	files, err := fs.Glob(templateFiles, "templates/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("email templates: %w", err)
	}
	t := &Templates{purposes: map[string]purposeTemplates{}}
	for _, file := range files {
		if path.Base(file) == layoutFile {
			continue
		}
		purpose := strings.TrimSuffix(path.Base(file), ".tmpl")
		src, err := fs.ReadFile(templateFiles, file)
		if err != nil {
			return nil, fmt.Errorf("email templates: %w", err)
		}
		pt, err := parsePurpose(purpose, string(layout), string(src))
		if err != nil {
			return nil, fmt.Errorf("email template %s: %w", file, err)
		}
		t.purposes[purpose] = pt
	}
	return t, nil
}

func parsePurpose(purpose, layout, src string) (purposeTemplates, error) {
	text, err := texttemplate.New(purpose).Option("missingkey=error").Funcs(templateFuncs).Parse(layout)
	if err == nil {
		_, err = text.Parse(src)
	}
	if err != nil {
		return purposeTemplates{}, err
	}
	html, err := htmltemplate.New(purpose).Option("missingkey=error").Funcs(templateFuncs).Parse(layout)
	if err == nil {
		_, err = html.Parse(src)
	}
	if err != nil {
		return purposeTemplates{}, err
	}
	for _, name := range []string{"subject", "text", "body"} {
		if text.Lookup(name) == nil {
			return purposeTemplates{}, fmt.Errorf("defines no %q template", name)
		}
	}
	return purposeTemplates{text: text, html: html}, nil
}

// Purposes lists the purposes there are templates for, sorted.
func (t *Templates) Purposes() []string {
	out := make([]string, 0, len(t.purposes))
	for p := range t.purposes {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// ErrUnknownPurpose is returned by Render for a purpose without a template.
var ErrUnknownPurpose = errors.New("no email template for this purpose")

// Render renders the subject (one line), the plain-text body and the HTML
// body of an email for purpose from data.
func (t *Templates) Render(purpose string, data any) (subject, text, html string, err error) {
	pt, ok := t.purposes[purpose]
	if !ok {
		return "", "", "", fmt.Errorf("email %q: %w (have %s)", purpose, ErrUnknownPurpose, strings.Join(t.Purposes(), ", "))
	}
	var b strings.Builder
	if err := pt.text.ExecuteTemplate(&b, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("email %q subject: %w", purpose, err)
	}
	// One line whatever the data holds: a subject is a mail header.
	subject = strings.Join(strings.Fields(b.String()), " ")

	b.Reset()
	if err := pt.text.ExecuteTemplate(&b, "text_message", data); err != nil {
		return "", "", "", fmt.Errorf("email %q text: %w", purpose, err)
	}
	text = b.String()

	b.Reset()
	if err := pt.html.ExecuteTemplate(&b, "html_message", data); err != nil {
		return "", "", "", fmt.Errorf("email %q html: %w", purpose, err)
	}
	return subject, text, b.String(), nil
}
