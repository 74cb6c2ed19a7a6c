package payments

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	secret := []byte("whsec")
	body := []byte(`{"id":"evt_1"}`)
	at := time.Unix(1_700_000_000, 0)
	header := Sign(secret, body, at)
	if !strings.HasPrefix(header, "t=1700000000,v1=") {
		t.Fatalf("header = %q, want t=1700000000,v1=…", header)
	}
	for _, now := range []time.Time{at, at.Add(DefaultTolerance), at.Add(-DefaultTolerance)} {
		if err := Verify(secret, header, body, now, 0); err != nil {
			t.Errorf("Verify at %s: %v", now.Sub(at), err)
		}
	}
	// A second signature (a rotated secret) is accepted as long as one matches.
	rotated := Sign([]byte("old secret"), body, at) + "," + strings.Split(header, ",")[1]
	if err := Verify(secret, rotated, body, at, 0); err != nil {
		t.Errorf("Verify with two v1 signatures: %v", err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	secret := []byte("whsec")
	body := []byte(`{"id":"evt_1"}`)
	at := time.Unix(1_700_000_000, 0)
	header := Sign(secret, body, at)
	sig := strings.Split(header, ",v1=")[1]
	cases := []struct {
		name   string
		secret []byte
		header string
		body   string
		now    time.Time
		want   error
	}{
		{"missing", secret, "", string(body), at, ErrSignatureMissing},
		{"blank", secret, "   ", string(body), at, ErrSignatureMissing},
		{"no timestamp", secret, "v1=" + sig, string(body), at, ErrSignatureMalformed},
		{"no signature", secret, "t=1700000000", string(body), at, ErrSignatureMalformed},
		{"timestamp not a number", secret, "t=yesterday,v1=" + sig, string(body), at, ErrSignatureMalformed},
		{"two timestamps", secret, "t=1700000000,t=1700000001,v1=" + sig, string(body), at, ErrSignatureMalformed},
		{"signature not hex", secret, "t=1700000000,v1=zz" + sig[2:], string(body), at, ErrSignatureMalformed},
		{"signature too short", secret, "t=1700000000,v1=" + sig[:20], string(body), at, ErrSignatureMalformed},
		{"not key=value", secret, "garbage", string(body), at, ErrSignatureMalformed},
		{"body changed", secret, header, `{"id":"evt_2"}`, at, ErrSignatureMismatch},
		{"other secret", []byte("other"), header, string(body), at, ErrSignatureMismatch},
		{"timestamp changed", secret, "t=1700000001,v1=" + sig, string(body), at, ErrSignatureMismatch},
		{"too old", secret, header, string(body), at.Add(DefaultTolerance + time.Second), ErrSignatureStale},
		{"from the future", secret, header, string(body), at.Add(-DefaultTolerance - time.Second), ErrSignatureStale},
		{"no secret", nil, header, string(body), at, ErrNoSecret},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.header, []byte(c.body), c.now, 0)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestVerifyHonoursTheGivenTolerance(t *testing.T) {
	secret := []byte("whsec")
	at := time.Unix(1_700_000_000, 0)
	header := Sign(secret, nil, at)
	if err := Verify(secret, header, nil, at.Add(90*time.Second), time.Minute); !errors.Is(err, ErrSignatureStale) {
		t.Errorf("90 s late with 1 min tolerance: %v, want ErrSignatureStale", err)
	}
	if err := Verify(secret, header, nil, at.Add(59*time.Second), time.Minute); err != nil {
		t.Errorf("59 s late with 1 min tolerance: %v", err)
	}
	if !strings.Contains(header, strconv.FormatInt(at.Unix(), 10)) {
		t.Errorf("header %q does not carry the signing time", header)
	}
}
