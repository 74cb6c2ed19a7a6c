// Package e2e holds the end-to-end tests of orderflow: each test runs the
// whole system as `orderflow dev` wires it (internal/app) on the real parts,
// an in-process Temporal server, Postgres, the real sendgrid-go client
// against a local SendGrid stand-in and the HTTP API, and drives orders
// through the API as customers, suppliers, members, clients and staff would.
// It also records the workflow histories the replay test checks
// (histories_test.go, ORDERFLOW_RECORD_HISTORIES=1).
package e2e
