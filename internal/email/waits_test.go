package email

import (
	"strings"
	"testing"
)

// waitData is the data workflows.WaitEmail gives the wait templates.
func waitData(reminder bool) map[string]any {
	return throughJSON(map[string]any{
		"OrderID": "ord_01JN2K7R9TBV", "Recipient": "Purchasing", "Title": "10 × Cement 25 kg",
		"Waiting": "release or cancel the order", "Owner": "purchasing", "Since": "Wed 2 Dec 2026 10:00 CET",
		"Next": "If it is still waiting on Thu 3 Dec 2026 10:00 CET, staff will be told.", "Reminder": reminder,
	})
}

func TestWaitEmailsSayWhatWaitsAndWhatComesNext(t *testing.T) {
	tm := loadTemplates(t)
	cases := []struct {
		purpose string
		data    map[string]any
		subject string
		says    []string
		notSays []string
	}{
		{"wait_reminder", waitData(false), "Order ord_01JN2K7R9TBV is waiting for you",
			[]string{"Hello Purchasing", "waiting for you to release or cancel the order", "staff will be told"}, []string{"is still waiting for you", "since"}},
		{"wait_reminder", waitData(true), "Reminder: order ord_01JN2K7R9TBV is still waiting for you",
			[]string{"still waiting for you to release or cancel the order, since Wed 2 Dec 2026 10:00 CET", "staff will be told"}, nil},
		{"wait_escalation", map[string]any{
			"OrderID": "ord_01JN2K7R9TBV", "Recipient": "Staff", "Title": "10 × Cement 25 kg", "Waiting": "release or cancel the order",
			"Owner": "purchasing", "Since": "Wed 2 Dec 2026 10:00 CET", "Next": "Purchasing was reminded.", "Reminder": false,
		}, "Escalation: order ord_01JN2K7R9TBV is waiting too long for purchasing",
			[]string{"waiting for purchasing to release or cancel the order since Wed 2 Dec 2026 10:00 CET", "Purchasing was reminded."}, nil},
	}
	for _, c := range cases {
		subject, text, html, err := tm.Render(c.purpose, c.data)
		if err != nil {
			t.Fatal(err)
		}
		if subject != c.subject {
			t.Errorf("%s subject %q, want %q", c.purpose, subject, c.subject)
		}
		for _, want := range c.says {
			if !strings.Contains(text, want) {
				t.Errorf("%s text lacks %q:\n%s", c.purpose, want, text)
			}
		}
		for _, bad := range c.notSays {
			if strings.Contains(text, bad) {
				t.Errorf("%s text says %q:\n%s", c.purpose, bad, text)
			}
		}
		if !strings.Contains(html, "release or cancel the order") {
			t.Errorf("%s HTML lacks what waits", c.purpose)
		}
	}
}
