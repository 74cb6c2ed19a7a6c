package config

import (
	"strings"
	"testing"
	"time"
)

func TestWaitDefaults(t *testing.T) {
	c, err := Load(DevMode, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	l := c.Lifecycle
	if l.RemindAfter != 24*time.Hour || l.EscalateAfter != 48*time.Hour || l.CreditReminderLead != 12*time.Hour || l.CreditEscalationLead != 6*time.Hour {
		t.Errorf("wait durations: %+v", l)
	}
	if l.PurchasingEmail != "purchasing@orderflow.localhost" || l.FinanceEmail != "finance@orderflow.localhost" {
		t.Errorf("wait owners: %q, %q", l.PurchasingEmail, l.FinanceEmail)
	}
}

func TestWaitSettingsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ORDERFLOW_REMIND_AFTER": "48h", "ORDERFLOW_ESCALATE_AFTER": "24h"}, "ORDERFLOW_ESCALATE_AFTER (24h0m0s) longer than it"},
		{map[string]string{"ORDERFLOW_REMIND_AFTER": "0s"}, "ORDERFLOW_REMIND_AFTER (0s) must be positive"},
		{map[string]string{"ORDERFLOW_CREDIT_REMINDER_LEAD": "1h", "ORDERFLOW_CREDIT_ESCALATION_LEAD": "2h"}, "the reminder comes first"},
		{map[string]string{"ORDERFLOW_FINANCE_EMAIL": "finance team"}, `ORDERFLOW_FINANCE_EMAIL "finance team" must be an email address`},
	} {
		_, err := Load(DevMode, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.env, err, tc.want)
		}
	}
}

func TestLifecycleLocationIsTheOrdersTimeZone(t *testing.T) {
	for zone, want := range map[string]string{"Europe/Brussels": "Europe/Brussels", "": "UTC", "Not/AZone": "UTC"} {
		if got := (Lifecycle{TimeZone: zone}).Location().String(); got != want {
			t.Errorf("Location of %q = %s, want %s", zone, got, want)
		}
	}
}
