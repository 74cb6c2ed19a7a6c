package workflows

import (
	"crypto/sha256"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
)

// What an action's update answers. Temporal keeps every answer in the
// order's history, so a lean order answers with a receipt that names the
// read-model record the API reads the order back from, instead of the order
// itself (the seven answers of a marketplace order were 15 of its 34 KB).

// Answer is what an action's update answers: a receipt, or the order as
// the caller sees it where the read model cannot be read back (an order
// started before ChangeLeanEngine, whose steps run after the answer; an
// order changed since its last record). A receipt encodes as
// {"receipt": …} only; the order as its fields at the top level, as every
// answer did before receipts, so an answer Temporal kept from then decodes
// the same.
type Answer struct {
	*OrderView
	Receipt *Receipt `json:"receipt,omitempty"`
}

// Receipt says the order is, for the caller, what the read model recorded
// under Seq, and what the caller may do now (only the workflow knows that).
// A lean order records in the workflow task that answers (its record is a
// local activity), so the record is there when the answer reaches the API,
// unless it failed and waits as a regular activity: then the read model's
// row has another seq and the API asks the workflow instead (api: viewAfter).
type Receipt struct {
	ID             string             `json:"id"`
	Seq            int64              `json:"seq"`
	AllowedActions []lifecycle.Action `json:"allowed_actions"`
	WaitingFor     []Waiting          `json:"waiting_for,omitempty"`
}

// recordMark identifies a recorded state: its seq and a digest of the
// view recorded with it.
type recordMark struct {
	seq    int64
	digest [sha256.Size]byte
}

func markOf(o activities.OrderRow) recordMark {
	return recordMark{seq: o.Seq, digest: sha256.Sum256(o.View)}
}

// answer is what an update answers viewer now.
func (c *core) answer(viewer Party) Answer {
	if c.lean && c.recorded.seq > 0 && markOf(c.flow.snapshot()) == c.recorded {
		return Answer{Receipt: &Receipt{ID: c.ID, Seq: c.recorded.seq, AllowedActions: c.allowedFor(viewer), WaitingFor: c.waitingNow()}}
	}
	v := c.flow.view(viewer)
	return Answer{OrderView: &v}
}
