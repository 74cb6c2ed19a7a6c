package workflows

import (
	"strconv"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// ChangeBusinessRules is the workflow.GetVersion change id of the lifecycle
// rules issue 12 added after ChangeTrustedActions: every status that waits
// for a person has an owner who is reminded and staff who are escalated, a
// paid customer may cancel in screening, a credit order's return gets a
// credit note, a member may withdraw a cancellation request or an order in
// client confirmation, and the other rules docs/versioning.md lists. Orders
// started before it keep the rules they started with when they replay
// (core.businessRules is false for them).
const ChangeBusinessRules = "business-rules"

// ChangeFlatRecords is the workflow.GetVersion change id of the lean
// records (issue 14): the read model's copy of the view no longer carries
// the timeline (the read model keeps it entry by entry in its own table), and
// the timeline's instants are kept to the microsecond, Postgres' precision,
// so an order read back from the read model shows the instants the live
// order shows. Orders started before it keep their nanoseconds when they
// replay (core.flatRecords is false for them).
const ChangeFlatRecords = "flat-records"

// ChangeLeanEngine is the workflow.GetVersion change id of the lean engine
// (issue 14): a step's activity runs first as a local activity, so the
// decision that queued it and its effects share one workflow task and leave
// one marker each instead of three events and a workflow task; only a step
// that fails there runs as a regular activity, retried with backoff, which
// the Web UI and the CLI show and ops pause, reset or retry as before
// (core.activity). Search attributes are upserted once per workflow task,
// only those that changed. An order started after it records this one marker
// and none of the earlier change ids, whose behaviour it includes. Orders
// started before it replay as they ran (core.lean is false for them).
const ChangeLeanEngine = "lean-engine"

// The versions of ChangeLeanEngine. Later changes raise its version instead
// of adding a change id, so an order still records one marker: the newest
// version the build knows, which its replays then read.
const (
	// LeanEngine is the lean engine itself.
	LeanEngine workflow.Version = 1
	// LeanOffersIndexed keeps the OfferedTo search attribute current: every
	// supplier a marketplace order was offered to (searchattrs.go).
	LeanOffersIndexed workflow.Version = 2
	// LeanPartiesIndexed keeps the OrderTotal and ClientEmail search
	// attributes current (searchattrs.go).
	LeanPartiesIndexed workflow.Version = 3
	// LeanAnswersBeforeEmails answers the create (the view update) once the
	// order's first steps ran but for its emails: a create no longer waits
	// out an email provider's outage, retried for minutes, before the
	// customer sees the order and its payment link (view_update.go).
	LeanAnswersBeforeEmails workflow.Version = 4
	// newestLean is the newest version this source knows.
	newestLean = LeanAnswersBeforeEmails
)

// buildLeanVersion is the newest version of ChangeLeanEngine this build
// records for a new order: newestLean. The rolling deploy of `make cluster`
// builds its first workers as the release before it, with -ldflags "-X
// github.com/orderflow/orderflow/workflows.buildLeanVersion=3": they start
// orders at version 3, and cannot replay an order at version 4 (its
// workflow task fails on them and runs again on a newer worker).
var buildLeanVersion = "4"

// RecordedLeanVersion is the version of ChangeLeanEngine this build records
// for a new order (the rolling deploy checks an order placed after the roll
// records it).
func RecordedLeanVersion() workflow.Version { return newestLeanVersion() }

// VersionMarker reads a workflow.GetVersion marker of a history: its change
// id and version; false for any other event.
func VersionMarker(e *historypb.HistoryEvent) (change string, version workflow.Version, ok bool) {
	marker := e.GetMarkerRecordedEventAttributes()
	if marker.GetMarkerName() != "Version" {
		return "", 0, false
	}
	dc := converter.GetDefaultDataConverter()
	if dc.FromPayloads(marker.GetDetails()["change-id"], &change) != nil || dc.FromPayloads(marker.GetDetails()["version"], &version) != nil {
		return "", 0, false
	}
	return change, version, true
}

// newestLeanVersion is buildLeanVersion as a version (newestLean if it does
// not read as one).
func newestLeanVersion() workflow.Version {
	if v, err := strconv.Atoi(buildLeanVersion); err == nil && v >= int(LeanEngine) && v <= int(newestLean) {
		return workflow.Version(v)
	}
	return newestLean
}
