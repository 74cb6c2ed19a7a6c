package config

import (
	"strings"
	"testing"
	"time"
)

func TestDevModeNeedsNothing(t *testing.T) {
	c, err := Load(DevMode, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenSecret != DevTokenSecret || c.EmailMode != "capture" || c.LogFormat != "text" {
		t.Fatalf("dev defaults not applied: %+v", c)
	}
	if c.Lifecycle.PaymentWindow != 24*time.Hour || c.Lifecycle.ReturnWindow != 720*time.Hour {
		t.Fatalf("lifecycle defaults: %+v", c.Lifecycle)
	}
	if !strings.HasSuffix(strings.Split(c.DatabaseURL, "?")[0], "/orderflow") {
		t.Fatalf("default database is %s, want .../orderflow", c.DatabaseURL)
	}
}

func TestProductionInsistsOnSecrets(t *testing.T) {
	_, err := Load(Production, map[string]string{})
	if err == nil {
		t.Fatal("production without secrets loaded")
	}
	for _, want := range []string{"ORDERFLOW_TOKEN_SECRET", "ORDERFLOW_PAYMENT_WEBHOOK_SECRET", "SENDGRID_API_KEY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans several lines: %q", err)
	}

	_, err = Load(Production, map[string]string{
		"ORDERFLOW_TOKEN_SECRET":           strings.Repeat("s", 32),
		"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": "w",
		"ORDERFLOW_EMAIL_MODE":             "capture",
	})
	if err != nil {
		t.Fatalf("complete production config refused: %v", err)
	}
}

func TestBadValuesAreNamed(t *testing.T) {
	cases := map[string]map[string]string{
		"ORDERFLOW_PAYMENT_WINDOW":      {"ORDERFLOW_PAYMENT_WINDOW": "a day"},
		"DATABASE_URL":                  {"DATABASE_URL": "mysql://x"},
		"ORDERFLOW_TIMEZONE":            {"ORDERFLOW_TIMEZONE": "Mars/Olympus"},
		"ORDERFLOW_INVOICE_TIME":        {"ORDERFLOW_INVOICE_TIME": "9am"},
		"ORDERFLOW_EMAIL_MODE":          {"ORDERFLOW_EMAIL_MODE": "pigeon"},
		"ORDERFLOW_WORKFLOW_CACHE_SIZE": {"ORDERFLOW_WORKFLOW_CACHE_SIZE": "0"},
	}
	for name, environ := range cases {
		_, err := Load(DevMode, environ)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want it to name the variable", name, err)
		}
	}
}

func TestUnparsableValueMessage(t *testing.T) {
	_, err := Load(DevMode, map[string]string{"ORDERFLOW_PENDING_WINDOW": "soon"})
	want := `configuration: ORDERFLOW_PENDING_WINDOW: unable to parse duration: time: invalid duration "soon"`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestNamesListsEveryVariable(t *testing.T) {
	names := strings.Join(Names(), " ")
	for _, want := range []string{"DATABASE_URL", "ORDERFLOW_TOKEN_SECRET", "ORDERFLOW_DATA_DIR", "ORDERFLOW_SMART_SLA", "SENDGRID_API_KEY"} {
		if !strings.Contains(names, want) {
			t.Errorf("Names() lacks %s: %s", want, names)
		}
	}
}
