package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/auth"
)

// The starter against the real router (no dependencies behind it needed).
func TestStarterTalksToTheAPI(t *testing.T) {
	const secret = "starter-test-secret-0123456789abcd"
	srv := httptest.NewServer(api.New(api.Deps{
		Tokens:   auth.NewTokens(secret),
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(),
	}))
	defer srv.Close()
	token, _ := auth.NewTokens(secret).Mint(auth.Principal{Role: auth.Staff, Subject: "s-9"}, time.Hour)

	var out bytes.Buffer
	c := client{base: srv.URL, token: token, http: http.DefaultClient}
	if err := run(context.Background(), c, []string{"whoami"}, &out); err != nil || !strings.Contains(out.String(), `"s-9"`) {
		t.Fatalf("whoami: %v, %q", err, out.String())
	}
	if err := run(context.Background(), c, []string{"health"}, &out); err != nil {
		t.Fatalf("health: %v", err)
	}

	c.token = "forged"
	err := run(context.Background(), c, []string{"whoami"}, &out)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "well-formed") {
		t.Fatalf("whoami with a forged token: %v", err)
	}
	if err := run(context.Background(), c, []string{"launch"}, &out); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}
