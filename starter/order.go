package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// order is the part of the API's Order the starter reads; decoding only
// what it uses keeps it a faithful client of the contract, not of the
// server's Go types.
type order struct {
	ID             string     `json:"id"`
	Flow           string     `json:"flow"`
	Status         string     `json:"status"`
	StatusLabel    string     `json:"status_label"`
	Owner          string     `json:"owner"`
	Title          string     `json:"title"`
	Currency       string     `json:"currency"`
	Total          string     `json:"total"`
	Deadlines      []deadline `json:"deadlines"`
	Timeline       []event    `json:"timeline"`
	Documents      []document `json:"documents"`
	AllowedActions []string   `json:"allowed_actions"`
	NeedsAttention bool       `json:"needs_attention"`
	Closed         bool       `json:"closed"`

	Marketplace *struct {
		Payment *struct {
			URL  string `json:"url"`
			Paid bool   `json:"paid"`
		} `json:"payment"`
		Offers []struct {
			Supplier struct {
				ID    string `json:"id"`
				Name  string `json:"name"`
				Email string `json:"email"`
			} `json:"supplier"`
			Round    int  `json:"round"`
			Declined bool `json:"declined"`
		} `json:"offers"`
		Supplier *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"supplier"`
	} `json:"marketplace"`

	Member *struct {
		Schedule []struct {
			Date   string `json:"date"`
			Status string `json:"status"`
		} `json:"schedule"`
		OfferValidUntil string `json:"offer_valid_until"`
	} `json:"member"`
}

type deadline struct {
	Name  string    `json:"name"`
	Entry int       `json:"entry"`
	At    time.Time `json:"at"`
}

type event struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Action    string    `json:"action"`
	ActorRole string    `json:"actor_role"`
	ActorID   string    `json:"actor_id"`
	Reason    string    `json:"reason"`
	Outcome   string    `json:"outcome"`
}

// document: the API writes its fields capitalised (ID, Kind, ...);
// encoding/json matches them regardless of case.
type document struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Number   string `json:"number"`
	Filename string `json:"filename"`
}

type orderSummary struct {
	ID             string     `json:"id"`
	Flow           string     `json:"flow"`
	Status         string     `json:"status"`
	Owner          string     `json:"owner"`
	Supplier       string     `json:"supplier"`
	Title          string     `json:"title"`
	Total          string     `json:"total"`
	NextDeadline   *time.Time `json:"next_deadline"`
	NeedsAttention bool       `json:"needs_attention"`
}

// printHeadline writes one line: who the order is and where it stands.
func printHeadline(w io.Writer, o order) {
	fmt.Fprintf(w, "%s  %s order %q  %s %s  status: %s (%s)\n", o.ID, o.Flow, o.Title, o.Total, o.Currency, o.Status, o.StatusLabel)
}

// printOrder writes the order as a person reads it: status, deadlines,
// timeline, documents and the actions the caller may take.
func printOrder(w io.Writer, o order) {
	printHeadline(w, o)
	if o.NeedsAttention {
		fmt.Fprintln(w, "NEEDS ATTENTION: a side effect failed; ops may retry or skip it")
	}
	printDeadlines(w, o.Deadlines)
	fmt.Fprintln(w, "Timeline:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tAT\tACTION\tFROM → TO\tBY\tOUTCOME")
	for _, e := range o.Timeline {
		by := e.ActorRole
		if e.ActorID != "" {
			by += " " + e.ActorID
		}
		outcome := e.Outcome
		if e.Reason != "" {
			outcome += " (" + e.Reason + ")"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s → %s\t%s\t%s\n", e.Seq, e.At.Local().Format(time.DateTime), e.Action, orDash(e.From), e.To, by, outcome)
	}
	tw.Flush()
	if len(o.Documents) > 0 {
		fmt.Fprintln(w, "Documents:")
		for _, d := range o.Documents {
			fmt.Fprintf(w, "  %s %s  /v1/orders/%s/documents/%s\n", d.Kind, d.Number, o.ID, d.ID)
		}
	}
	fmt.Fprintf(w, "You may: %s\n", listOrNone(o.AllowedActions))
}

func printDeadlines(w io.Writer, ds []deadline) {
	if len(ds) == 0 {
		fmt.Fprintln(w, "Deadlines: none")
		return
	}
	fmt.Fprintln(w, "Deadlines:")
	for _, d := range ds {
		name := d.Name
		if d.Entry > 0 {
			name += fmt.Sprintf(" (schedule entry %d)", d.Entry)
		}
		fmt.Fprintf(w, "  %-40s %s\n", name, d.At.Local().Format("2006-01-02 15:04 MST"))
	}
}

func printSummaries(w io.Writer, orders []orderSummary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFLOW\tSTATUS\tOWNER\tTITLE\tTOTAL\tNEXT DEADLINE")
	for _, o := range orders {
		next := "-"
		if o.NextDeadline != nil {
			next = o.NextDeadline.Local().Format("2006-01-02 15:04")
		}
		status := o.Status
		if o.NeedsAttention {
			status += " (!)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.Flow, status, o.Owner, truncate(o.Title, 40), o.Total, next)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return strings.TrimSpace(s)
}
