package devserver

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
)

// Settings named in errors, so a developer knows what to change. They are the
// environment variables `orderflow dev` reads (internal/config).
const (
	frontendSetting = "ORDERFLOW_DEV_TEMPORAL_ADDR (Options.FrontendAddress)"
	uiSetting       = "ORDERFLOW_DEV_UI_ADDR (Options.UIAddress)"
)

// alwaysReserved are ports the internal services never take even when free
// now: the API's default port and the Web UI's default port, which start later
// or in another process of a developer's machine.
var alwaysReserved = []int{8080, 8233}

// PortInUseError says which address could not be bound and what moves it.
type PortInUseError struct {
	Role    string // e.g. "Temporal frontend (gRPC)"
	Addr    string // host:port
	Setting string // the option or environment variable that moves it
	Err     error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("devserver: %s address %s is not available (%v); change %s",
		e.Role, e.Addr, e.Err, e.Setting)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// endpoint is one address the dev server listens on.
type endpoint struct {
	role    string
	host    string
	port    int
	setting string
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// portPlan is every address the embedded server and UI will bind.
type portPlan struct {
	frontend endpoint
	history  endpoint
	matching endpoint
	worker   endpoint
	ui       endpoint
}

func (p portPlan) all() []endpoint {
	return []endpoint{p.frontend, p.history, p.matching, p.worker, p.ui}
}

// planPorts resolves the two public addresses and derives the internal
// services' ports. An explicit frontend port gives internal ports right above
// it (7233 → 7234, 7235, 7236), so they are predictable; port 0 picks free
// ones everywhere, for tests.
func planPorts(frontendAddr, uiAddr string, reserved []int) (portPlan, error) {
	var plan portPlan
	var err error
	if plan.frontend, err = parseEndpoint("Temporal frontend (gRPC)", frontendAddr, frontendSetting); err != nil {
		return plan, err
	}
	if plan.ui, err = parseEndpoint("Temporal Web UI", uiAddr, uiSetting); err != nil {
		return plan, err
	}
	if plan.ui.port == 0 {
		if plan.ui.port, err = freePort(plan.ui.host); err != nil {
			return plan, err
		}
	}
	explicit := plan.frontend.port != 0
	if !explicit {
		if plan.frontend.port, err = freePort(plan.frontend.host); err != nil {
			return plan, err
		}
	}

	taken := append([]int{plan.frontend.port, plan.ui.port}, alwaysReserved...)
	taken = append(taken, reserved...)
	next := plan.frontend.port
	for _, svc := range []*endpoint{&plan.history, &plan.matching, &plan.worker} {
		*svc = endpoint{host: internalHost, setting: frontendSetting + ", which moves the internal ports with it"}
		if explicit {
			next = nextUntaken(next, taken)
			if next > 65535 {
				return plan, fmt.Errorf("devserver: no room for internal ports above frontend port %d; change %s", plan.frontend.port, frontendSetting)
			}
			svc.port = next
		} else if svc.port, err = freePortExcept(internalHost, taken); err != nil {
			return plan, err
		}
		taken = append(taken, svc.port)
	}
	plan.history.role = "Temporal history service (internal)"
	plan.matching.role = "Temporal matching service (internal)"
	plan.worker.role = "Temporal worker service (internal)"

	if plan.frontend.port == plan.ui.port {
		return plan, fmt.Errorf("devserver: the frontend and the Web UI cannot share port %d; change %s or %s", plan.ui.port, frontendSetting, uiSetting)
	}
	return plan, nil
}

func nextUntaken(after int, taken []int) int {
	p := after + 1
	for slices.Contains(taken, p) {
		p++
	}
	return p
}

// internalHost is where history, matching and worker listen: they talk only to
// the frontend inside this process.
const internalHost = "127.0.0.1"

func parseEndpoint(role, addr, setting string) (endpoint, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return endpoint{}, fmt.Errorf("devserver: %s address %q is not host:port; change %s: %w", role, addr, setting, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return endpoint{}, fmt.Errorf("devserver: %s address %q has no valid port; change %s", role, addr, setting)
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	if net.ParseIP(host) == nil {
		return endpoint{}, fmt.Errorf("devserver: %s address %q must use an IP address or localhost; change %s", role, addr, setting)
	}
	return endpoint{role: role, host: host, port: port, setting: setting}, nil
}

// checkFree binds each address for a moment. The server panics and the UI
// server exits the process when a port is taken, so this is the only place a
// busy port can become an error.
func checkFree(endpoints []endpoint) error {
	var errs []error
	for _, e := range endpoints {
		l, err := net.Listen("tcp", e.addr())
		if err != nil {
			errs = append(errs, &PortInUseError{Role: e.role, Addr: e.addr(), Setting: e.setting, Err: err})
			continue
		}
		if err := l.Close(); err != nil {
			return fmt.Errorf("devserver: release probe of %s: %w", e.addr(), err)
		}
	}
	return errors.Join(errs...)
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("devserver: find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func freePortExcept(host string, taken []int) (int, error) {
	for range 10 {
		p, err := freePort(host)
		if err != nil {
			return 0, err
		}
		if !slices.Contains(taken, p) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("devserver: no free port on %s outside %v", host, taken)
}
