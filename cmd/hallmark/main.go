// Command hallmark secures a software supplier's supply chain: SBOMs,
// vulnerability and license analysis, policy gates, signing and verification.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/hallmark-dev/hallmark/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
