package e2e_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// The client of a member order holds no token (no token names the client
// role): it acts through the link emailed to it, on the link's page. These
// helpers find a round's link and answer through it, as the client would.

var confirmationLinkPattern = regexp.MustCompile(`http://[^\s"<>]+/c/[A-Za-z0-9._~-]+`)

// linkURLOfRound waits for the confirmation email of round (1 is the first
// send) and returns its link.
func (m *market) linkURLOfRound(orderID string, round int) string {
	m.t.Helper()
	var link string
	m.eventually(fmt.Sprintf("confirmation email %d of %s", round, orderID), func() bool {
		for _, msg := range m.sys.SendGrid.Messages() {
			if msg.CustomArgs["order_id"] == orderID && msg.CustomArgs["purpose"] == fmt.Sprintf("confirmation_request#%d", round) {
				link = confirmationLinkPattern.FindString(msg.Content("text/plain"))
			}
		}
		return link != ""
	})
	return link
}

// answerByLink presses Confirm or Decline (with form) on the link's page and
// returns the status, without following the redirect to the thank-you page.
func (m *market) answerByLink(link, answer string, form url.Values) (int, string) {
	m.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Post(link+"/"+answer, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
