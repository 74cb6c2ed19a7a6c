package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/lifecycle"
)

// runToken prints one bearer token, signed with the secret the API uses:
// ORDERFLOW_TOKEN_SECRET, or dev mode's public development secret when unset.
func runToken(_ context.Context, args []string, env environment) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", "", "role of a person: member, staff, customer, purchasing, finance, supplier or ops")
	sub := fs.String("sub", "", "subject id: member id, customer id, supplier id or staff user")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v (usage: orderflow token --role ROLE --sub ID [--ttl 24h])", err)
	}
	// Only people hold tokens: client and system are never minted.
	r, err := lifecycle.ParsePersonRole(*role)
	if err != nil {
		return err
	}
	secret := env.vars["ORDERFLOW_TOKEN_SECRET"]
	if secret == "" {
		secret = config.DevTokenSecret
		fmt.Fprintln(env.stderr, "orderflow token: ORDERFLOW_TOKEN_SECRET is unset; signing with the development secret (dev mode only)")
	}
	token, err := auth.NewTokens(secret).Mint(auth.Principal{Role: r, Subject: *sub}, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, token)
	return nil
}
