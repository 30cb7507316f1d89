// Command cohostd receives Zoom webhooks and makes every joiner of an
// in-scope meeting a co-host, through the routes Zoom offers.
//
//	cohostd [serve]   run the service (configuration from the environment)
//	cohostd version   print the version
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cohost-dev/cohost/config"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/server"
)

// Set by the build: -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	os.Exit(run(os.Args[1:], config.FromOS(), os.Stdout, os.Stderr))
}

func run(args []string, env config.Env, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "serve":
		return serve(env, stderr)
	case "admin-token":
		return adminToken(args[1:], env, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "cohostd %s (commit %s)\n", version, commit)
		return 0
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: cohostd [serve|admin-token [-ttl 1h] [-subject NAME]|version]\n\nConfiguration comes from the environment; see README.md.")
		return 0
	}
	fmt.Fprintf(stderr, "cohostd: unknown command %q (use serve, admin-token or version)\n", cmd)
	return 2
}

func serve(env config.Env, stderr io.Writer) int {
	cfg, err := config.Load(env)
	if err != nil {
		fmt.Fprintf(stderr, "cohostd: configuration: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).
		With("service", "cohostd")

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	openCtx, cancel := context.WithTimeout(ctx, time.Minute)
	srv := server.New(cfg, logger, metrics.BuildInfo{Version: version, Commit: commit})
	err = srv.Open(openCtx)
	cancel()
	if err != nil {
		// One line, as operators grep for it: some driver errors span several.
		fmt.Fprintf(stderr, "cohostd: %s\n", strings.Join(strings.Fields(err.Error()), " "))
		return 1
	}
	<-ctx.Done()
	stop()

	closeCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Close(closeCtx); err != nil {
		logger.Error("unclean stop", "error", err.Error())
		return 1
	}
	return 0
}

// adminToken prints a bearer token for the admin API, signed with
// COHOST_ADMIN_SECRET (or COHOST_ADMIN_SECRET_FILE).
func adminToken(args []string, env config.Env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("admin-token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid (at most 24h)")
	subject := fs.String("subject", "operator", "who the token is for (logged with each request)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	secret, err := config.AdminSecret(env)
	if err != nil {
		fmt.Fprintf(stderr, "cohostd: %v\n", err)
		return 2
	}
	token, err := handlers.MintAdminToken([]byte(secret), *ttl, *subject)
	if err != nil {
		fmt.Fprintf(stderr, "cohostd: %v\n", err)
		return 2
	}
	fmt.Fprintln(stdout, token)
	return 0
}
