//go:build nodev

package main

import (
	"context"
	"errors"
)

func init() {
	commands["dev"] = command{"(not in this build: it was built with -tags nodev)", func(context.Context, []string, environment) error {
		return errors.New("this binary was built without dev mode (-tags nodev); use `go run ./cmd/orderflow dev` from a checkout")
	}}
}
