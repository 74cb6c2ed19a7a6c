package portal

import (
	"net/http"
	"net/url"
	"time"

	"github.com/orderflow/orderflow/lifecycle"
)

// The supplier's home: its live feed, the orders offered to it now, kept
// current in place by the API's event stream (GET
// /v1/suppliers/{id}/feed/stream, forwarded at /app/feed/stream), each with
// accept and decline; and below it the orders it accepted.

type feedView struct {
	Who, CSRF string
	// Zone is where the script writes the times of the rows it adds.
	Zone     string
	Offered  []feedRow
	Accepted []orderRow
	// Blank is the row the script copies for an order that appears.
	Blank feedRow
}

type feedRow struct {
	ID, Title, Status, Deadline string
	Accept, Decline             actionForm
}

// feedItem is one order of GET /v1/suppliers/{id}/feed.
type feedItem struct {
	OrderID      string     `json:"order_id"`
	Status       string     `json:"status"`
	Title        string     `json:"title"`
	NextDeadline *time.Time `json:"next_deadline"`
}

func (p *Portal) feed(w http.ResponseWriter, r *http.Request, v visit) {
	var feed struct {
		Orders []feedItem `json:"orders"`
	}
	var accepted struct {
		Orders []listedOrder `json:"orders"`
	}
	// The orders it took: the list's ?supplier= filter, which the API
	// narrows to the supplier's own.
	if !p.read(w, r, v, "/v1/suppliers/"+url.PathEscape(v.sess.Who.Subject)+"/feed", &feed) ||
		!p.read(w, r, v, "/v1/orders?limit=100&supplier="+url.QueryEscape(v.sess.Who.Subject), &accepted) {
		return
	}
	view := feedView{Who: p.who(v), CSRF: v.sess.CSRF, Zone: p.Zone.String(), Blank: p.feedRow(feedItem{}, v.sess.CSRF)}
	for _, it := range feed.Orders {
		view.Offered = append(view.Offered, p.feedRow(it, v.sess.CSRF))
	}
	for _, o := range accepted.Orders {
		view.Accepted = append(view.Accepted, orderRow{ID: o.ID, Title: o.Title, Status: humanize(o.Status), Total: amount(o.Total, "")})
	}
	p.render(w, http.StatusOK, feedPage, view)
}

func (p *Portal) feedRow(it feedItem, csrf string) feedRow {
	flow := lifecycle.MarketplaceFlow.Name
	row := feedRow{ID: it.OrderID, Title: it.Title, Status: humanize(it.Status),
		Accept:  newActionForm(flow, it.OrderID, csrf, lifecycle.Accept),
		Decline: newActionForm(flow, it.OrderID, csrf, lifecycle.Decline)}
	// Each row's controls have ids of their own, with the order's id; the
	// template row's "_" is replaced by the script (feed.js).
	key := it.OrderID
	if key == "" {
		key = "_"
	}
	row.Accept.ID, row.Decline.ID = row.Accept.Action+"-"+key, row.Decline.Action+"-"+key
	if it.NextDeadline != nil {
		row.Deadline = p.when(*it.NextDeadline)
	}
	return row
}

// feedStream forwards the supplier's event stream; the API refuses anyone
// else (a supplier may follow its own feed only).
func (p *Portal) feedStream(w http.ResponseWriter, r *http.Request, v visit) {
	p.forward(w, r, v, "/v1/suppliers/"+url.PathEscape(v.sess.Who.Subject)+"/feed/stream")
}
