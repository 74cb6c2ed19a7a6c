package workflows

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
