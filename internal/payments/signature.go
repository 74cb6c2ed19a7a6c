package payments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the webhook signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
// Signing the timestamp with the body stops a captured request from being
// replayed later than the tolerance.
const SignatureHeader = "Orderflow-Signature"

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock, either way.
const DefaultTolerance = 5 * time.Minute

// Refusals of Verify. Missing and malformed headers are a client error (400);
// a wrong signature or a stale timestamp is an authentication failure (401).
var (
	ErrSignatureMissing   = errors.New("webhook signature header is missing")
	ErrSignatureMalformed = errors.New("webhook signature header is malformed")
	ErrSignatureMismatch  = errors.New("webhook signature does not match")
	ErrSignatureStale     = errors.New("webhook signature timestamp is outside the tolerance")
	ErrNoSecret           = errors.New("no webhook secret configured")
)

// Sign returns the SignatureHeader value for body sent at t.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signature(secret, ts, body))
}

func signature(secret []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return mac.Sum(nil)
}

// Verify checks a SignatureHeader value against body. It accepts the header
// when one of its v1 signatures matches (several allow a secret rotation)
// and its timestamp is within tolerance of now (DefaultTolerance when
// tolerance is 0). Unknown fields in the header are ignored.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if strings.TrimSpace(header) == "" {
		return fmt.Errorf("%w: send %s: t=<unix seconds>,v1=<hex signature>", ErrSignatureMissing, SignatureHeader)
	}
	ts, signatures, err := parseSignatureHeader(header)
	if err != nil {
		return err
	}
	expected := signature(secret, strconv.FormatInt(ts, 10), body)
	matched := false
	for _, candidate := range signatures {
		// Every candidate is compared, in constant time, so the timing says nothing.
		if hmac.Equal(candidate, expected) {
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: check that sender and receiver share the same ORDERFLOW_PAYMENT_WEBHOOK_SECRET and that the body was not changed", ErrSignatureMismatch)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if skew := now.Sub(time.Unix(ts, 0)).Abs(); skew > tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now (tolerance %s); check the clocks or this is a replay",
			ErrSignatureStale, time.Unix(ts, 0).UTC().Format(time.RFC3339), skew.Round(time.Second), tolerance)
	}
	return nil
}

func parseSignatureHeader(header string) (int64, [][]byte, error) {
	var ts int64
	var haveTS bool
	var signatures [][]byte
	for field := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			return 0, nil, fmt.Errorf("%w: %q is not key=value", ErrSignatureMalformed, shorten(field))
		}
		switch key {
		case "t":
			if haveTS {
				return 0, nil, fmt.Errorf("%w: more than one timestamp", ErrSignatureMalformed)
			}
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n <= 0 {
				return 0, nil, fmt.Errorf("%w: timestamp %q is not unix seconds", ErrSignatureMalformed, shorten(value))
			}
			ts, haveTS = n, true
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return 0, nil, fmt.Errorf("%w: v1 is not a hex HMAC-SHA256", ErrSignatureMalformed)
			}
			signatures = append(signatures, sig)
		}
	}
	if !haveTS {
		return 0, nil, fmt.Errorf("%w: no t=<unix seconds>", ErrSignatureMalformed)
	}
	if len(signatures) == 0 {
		return 0, nil, fmt.Errorf("%w: no v1=<hex signature>", ErrSignatureMalformed)
	}
	return ts, signatures, nil
}

// shorten keeps error messages readable when a header carries garbage.
func shorten(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}
