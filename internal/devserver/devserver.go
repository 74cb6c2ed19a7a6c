// Package devserver runs a Temporal server and its Web UI inside the current
// process, for `orderflow dev`: SQLite in a data directory (state survives
// restarts), one namespace with orderflow's search attributes, and the UI
// served from assets compiled into the binary.
//
// It imports the whole Temporal server; keep it out of the production
// worker and API builds.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/temporal"

	"github.com/orderflow/orderflow/internal/temporalsetup"
	"github.com/orderflow/orderflow/internal/webui"
)

// Options configure Start. Zero values take the defaults in the comments.
type Options struct {
	// DataDir holds the SQLite database (DataDir/temporal.db), created with its
	// schema when new and reused on restart. Required.
	DataDir string
	// Namespace is created if missing and is the Web UI's default. Default "default".
	Namespace string
	// FrontendAddress is the gRPC address clients and workers dial. Default
	// "127.0.0.1:7233". The history, matching and worker services listen on
	// 127.0.0.1 at the next ports above it (7234-7236), skipping 8080, 8233,
	// the UI's port and ReservedPorts; port 0 picks free ports for all four.
	// The host must be an IP; "localhost" or no host means 127.0.0.1.
	FrontendAddress string
	// UIAddress serves the Web UI, host rules as above. Default
	// "127.0.0.1:8233"; port 0 picks a free one.
	UIAddress string
	// SearchAttributes are registered in Namespace, on a new database and on
	// an existing one (only the missing ones are added).
	SearchAttributes map[string]enumspb.IndexedValueType
	// ReservedPorts are never given to the internal services, e.g. the API's
	// port when it is not 8080 (8080 and 8233 are always avoided).
	ReservedPorts []int
	// Logger receives the server's warnings and errors only. Nil discards them.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.FrontendAddress == "" {
		o.FrontendAddress = "127.0.0.1:7233"
	}
	if o.UIAddress == "" {
		o.UIAddress = "127.0.0.1:8233"
	}
	return o
}

// Server is a running Temporal server with its Web UI.
type Server struct {
	temporal     temporal.Server
	ui           *webui.UI
	frontendAddr string
	uiURL        string
	namespace    string
	logLevel     *slog.LevelVar

	stopOnce sync.Once
	stopErr  error
}

// Start checks every port, prepares the database, starts the Web UI and the
// server, and registers the search attributes. On any failure nothing is left
// running.
func Start(ctx context.Context, o Options) (*Server, error) {
	o = o.withDefaults()
	plan, err := planPorts(o.FrontendAddress, o.UIAddress, o.ReservedPorts)
	if err != nil {
		return nil, err
	}
	if err := checkFree(plan.all()); err != nil {
		return nil, err
	}
	db, err := prepareDatabase(o.DataDir, clusterName, o.Namespace, o.SearchAttributes)
	if err != nil {
		return nil, err
	}
	logger, logLevel := quietLogger(o.Logger)
	logger = logger.With("component", "temporal")
	opts, err := serverOptions(plan, db, serverLogger{logger})
	if err != nil {
		return nil, err
	}
	srv, err := temporal.NewServer(opts...)
	if err != nil {
		return nil, fmt.Errorf("devserver: build Temporal server: %w", err)
	}

	s := &Server{
		temporal:     srv,
		frontendAddr: internalAddr(plan.frontend),
		uiURL:        "http://" + net.JoinHostPort(uiHost(plan.ui.host), strconv.Itoa(plan.ui.port)),
		namespace:    o.Namespace,
		logLevel:     logLevel,
	}
	// The UI first: it needs no server to come up, and its port is the one
	// most likely to be taken by the time we bind it.
	if s.ui, err = webui.Start(ctx, plan.ui.host, plan.ui.port, s.frontendAddr, o.Namespace); err != nil {
		return nil, err
	}
	if err := startTemporal(srv); err != nil {
		s.ui.Stop()
		return nil, err
	}
	if err := s.register(ctx, o.SearchAttributes, logger); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

// startTemporal turns a panic while starting (the server panics on some
// failures instead of returning them) into an error.
func startTemporal(srv temporal.Server) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("devserver: start Temporal server: panic: %v", r)
		}
	}()
	if err := srv.Start(); err != nil {
		return fmt.Errorf("devserver: start Temporal server: %w", err)
	}
	return nil
}

func (s *Server) register(ctx context.Context, searchAttributes map[string]enumspb.IndexedValueType, logger *slog.Logger) error {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  s.frontendAddr,
		Namespace: s.namespace,
		Logger:    sdklog.NewStructuredLogger(logger),
	})
	if err != nil {
		return fmt.Errorf("devserver: connect to the embedded server at %s: %w", s.frontendAddr, err)
	}
	defer c.Close()
	return temporalsetup.RegisterSearchAttributes(ctx, c.OperatorService(), s.namespace, searchAttributes)
}

// uiHost is the host a browser on this machine uses for the UI.
func uiHost(bound string) string {
	if bound == "0.0.0.0" || bound == "::" {
		return "localhost"
	}
	return bound
}

// FrontendHostPort is the gRPC address for clients and workers.
func (s *Server) FrontendHostPort() string { return s.frontendAddr }

// UIURL is the Web UI's base URL, e.g. "http://127.0.0.1:8233".
func (s *Server) UIURL() string { return s.uiURL }

// Namespace is the namespace created at start.
func (s *Server) Namespace() string { return s.namespace }

// Stop shuts down the UI and the server and releases their ports. Calling it
// again returns the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		// Shutting down, the services warn about every poll and dial the
		// others cut short; only errors still matter.
		s.logLevel.Set(slog.LevelError)
		s.ui.Stop()
		if err := s.temporal.Stop(); err != nil {
			s.stopErr = fmt.Errorf("devserver: stop Temporal server: %w", err)
		}
	})
	return s.stopErr
}
