package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Orders whose workflow ended abnormally (terminated, failed, timed out) can
// no longer record anything themselves: what ops do about them (refund what
// the provider holds, close them) is recorded here, per workflow run.

// Ended states of a workflow run, as ops see them.
const (
	EndedTerminated = "terminated"
	EndedFailed     = "failed"
	EndedTimedOut   = "timed_out"
)

// Actions on an ended order.
const (
	EndedRefund = "refund"
	EndedClose  = "close"
)

// EndedRun names one workflow run of an order.
type EndedRun struct {
	OrderID string
	RunID   string
}

// EndedAction is one thing ops did about an order whose run ended abnormally.
type EndedAction struct {
	EndedRun
	Ended     string // EndedTerminated, EndedFailed or EndedTimedOut
	Action    string // EndedRefund or EndedClose
	Ref       string // the refund id of a refund; "" for a close
	ActorRole string
	ActorID   string
	Reason    string
	At        time.Time
}

// RecordEndedAction records what ops did and returns the action as stored:
// recording a refund (same Ref) or a close of the same run again keeps the
// first record, so a retried or concurrent call records once.
func (s *Store) RecordEndedAction(ctx context.Context, a EndedAction) (EndedAction, error) {
	if err := requireFields("ended-order action", "order id", a.OrderID, "run id", a.RunID, "ended state", a.Ended,
		"action", a.Action, "actor role", a.ActorRole, "actor id", a.ActorID); err != nil {
		return EndedAction{}, err
	}
	switch {
	case a.Ended != EndedTerminated && a.Ended != EndedFailed && a.Ended != EndedTimedOut:
		return EndedAction{}, invalid("ended state %q is not terminated, failed or timed_out", a.Ended)
	case a.Action == EndedRefund && a.Ref == "":
		return EndedAction{}, invalid("a refund is recorded with its refund id")
	case a.Action == EndedClose && a.Ref != "":
		return EndedAction{}, invalid("a close has no reference")
	case a.Action == EndedClose && a.Reason == "":
		return EndedAction{}, invalid("a close needs a reason")
	case a.Action != EndedRefund && a.Action != EndedClose:
		return EndedAction{}, invalid("action %q is not refund or close", a.Action)
	}
	if a.At.IsZero() {
		a.At = time.Now()
	}
	a.At = a.At.UTC().Truncate(time.Microsecond)
	_, err := s.pool.Exec(ctx, `
		INSERT INTO ended_order_actions (order_id, run_id, ended, action, ref, actor_role, actor_id, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT DO NOTHING`,
		a.OrderID, a.RunID, a.Ended, a.Action, a.Ref, a.ActorRole, a.ActorID, a.Reason, a.At)
	if err != nil {
		return EndedAction{}, fmt.Errorf("store: record %s of ended order %s: %w", a.Action, a.OrderID, err)
	}
	stored, err := scanEndedAction(s.pool.QueryRow(ctx, `SELECT `+endedActionColumns+` FROM ended_order_actions
		WHERE order_id = $1 AND run_id = $2 AND action = $3 AND ref = $4`, a.OrderID, a.RunID, a.Action, a.Ref))
	if err != nil {
		return EndedAction{}, fmt.Errorf("store: read back %s of ended order %s: %w", a.Action, a.OrderID, err)
	}
	return stored, nil
}

// EndedActions lists what ops did about an order, oldest first.
func (s *Store) EndedActions(ctx context.Context, orderID string) ([]EndedAction, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+endedActionColumns+` FROM ended_order_actions
		WHERE order_id = $1 ORDER BY at, action, ref`, orderID)
	if err != nil {
		return nil, fmt.Errorf("store: actions on ended order %s: %w", orderID, err)
	}
	actions, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (EndedAction, error) { return scanEndedAction(row) })
	if err != nil {
		return nil, fmt.Errorf("store: actions on ended order %s: %w", orderID, err)
	}
	return actions, nil
}

// ClosedEndedRuns says which of runs ops closed.
func (s *Store) ClosedEndedRuns(ctx context.Context, runs []EndedRun) (map[EndedRun]bool, error) {
	closed := map[EndedRun]bool{}
	if len(runs) == 0 {
		return closed, nil
	}
	orderIDs, runIDs := make([]string, len(runs)), make([]string, len(runs))
	for i, r := range runs {
		orderIDs[i], runIDs[i] = r.OrderID, r.RunID
	}
	rows, err := s.pool.Query(ctx, `
		SELECT a.order_id, a.run_id FROM ended_order_actions a
		JOIN unnest($1::text[], $2::text[]) AS r(order_id, run_id) ON a.order_id = r.order_id AND a.run_id = r.run_id
		WHERE a.action = 'close'`, orderIDs, runIDs)
	if err != nil {
		return nil, fmt.Errorf("store: closed ended orders: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (EndedRun, error) {
		var r EndedRun
		return r, row.Scan(&r.OrderID, &r.RunID)
	})
	if err != nil {
		return nil, fmt.Errorf("store: closed ended orders: %w", err)
	}
	for _, r := range found {
		closed[r] = true
	}
	return closed, nil
}

// EndedClosure returns the close of a run, or ErrNotFound.
func (s *Store) EndedClosure(ctx context.Context, run EndedRun) (EndedAction, error) {
	a, err := scanEndedAction(s.pool.QueryRow(ctx, `SELECT `+endedActionColumns+` FROM ended_order_actions
		WHERE order_id = $1 AND run_id = $2 AND action = 'close'`, run.OrderID, run.RunID))
	if errors.Is(err, pgx.ErrNoRows) {
		return EndedAction{}, fmt.Errorf("store: close of order %s run %s: %w", run.OrderID, run.RunID, ErrNotFound)
	}
	if err != nil {
		return EndedAction{}, fmt.Errorf("store: close of order %s: %w", run.OrderID, err)
	}
	return a, nil
}

const endedActionColumns = `order_id, run_id, ended, action, ref, actor_role, actor_id, reason, at`

func scanEndedAction(row pgx.Row) (EndedAction, error) {
	var a EndedAction
	err := row.Scan(&a.OrderID, &a.RunID, &a.Ended, &a.Action, &a.Ref, &a.ActorRole, &a.ActorID, &a.Reason, &a.At)
	a.At = a.At.UTC()
	return a, err
}
