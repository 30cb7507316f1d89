// Command cohostd receives Zoom webhooks and makes every joiner of an
// in-scope meeting a co-host, through the routes Zoom offers.
//
//	cohostd [serve]         run the service (configuration from the environment)
//	cohostd admin-token     print a bearer token for the admin API
//	cohostd host-link ID    print a host link for a meeting (opens the server's database; never creates one)
//	cohostd zoom-manifest   print the manifest of cohost's Zoom app (General app, oauth mode),
//	                        or with -app signin of the app hosts sign in to the host portal with
//	cohostd version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/config"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/server"
	"github.com/cohost-dev/cohost/zoomapp"
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
	case "zoom-manifest":
		return zoomManifest(args[1:], stdout, stderr)
	case "host-link":
		return hostLink(args[1:], env, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "cohostd %s (commit %s)\n", version, commit)
		return 0
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: cohostd [serve|admin-token [-ttl 1h] [-subject NAME]|host-link [-ttl D] [-account ID] MEETING_ID|\n"+
			"               zoom-manifest -public-url URL [-app cohost|signin] [-granters LIST] [-mode oauth]|version]\n\n"+
			"Configuration comes from the environment; see README.md.\n"+
			"host-link prints a host link for one meeting: the host starts the meeting from it instead of Zoom's\n"+
			"start_url, and cohost makes every joiner co-host; see docs/host-client.md.\n"+
			"zoom-manifest prints the manifest of cohost's Zoom General app (oauth mode): its scopes, events,\n"+
			"OAuth redirect and webhook URL; with -app signin, that of the user-managed app hosts sign in to the\n"+
			"host portal with (either mode); see docs/zoom-setup.md.")
		return 0
	}
	fmt.Fprintf(stderr, "cohostd: unknown command %q (use serve, admin-token, host-link, zoom-manifest or version)\n", cmd)
	return 2
}

func serve(env config.Env, stderr io.Writer) int {
	cfg, err := config.Load(env)
	if err != nil {
		printConfigProblems(stderr, err)
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

// printConfigProblems prints every configuration problem on a line of its
// own, each naming its variable, so all of them are fixed in one go.
func printConfigProblems(stderr io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "cohostd: configuration: %s\n", line)
	}
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

// defaultManifestGranters is the granter list cohostd uses when
// COHOST_GRANTERS is unset once the host-client granter is in: the host page
// for the real co-host role, the permissions as the REST-only fallback. A
// manifest made with it serves a cohostd left at its default.
const defaultManifestGranters = config.GranterHostClient + "," + config.GranterPermissions

// zoomManifest prints the manifest of the Zoom General app cohostd needs, to
// upload in the Marketplace instead of entering scopes and events by hand.
func zoomManifest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zoom-manifest", flag.ContinueOnError)
	// Errors are reported below, each on one line; -h prints the flags.
	fs.SetOutput(io.Discard)
	publicURL := fs.String("public-url", "", "where Zoom and browsers reach cohostd (COHOST_PUBLIC_URL): https, or http for localhost")
	granters := fs.String("granters", defaultManifestGranters, "comma list of the granters the app serves (COHOST_GRANTERS)")
	mode := fs.String("mode", config.AuthOAuth, "auth mode; only oauth has a General app, the kind Zoom takes a manifest for")
	app := fs.String("app", "cohost", "which app: cohost (its own General app) or signin (the user-managed app hosts sign in to the host portal with, in either mode)")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "cohostd zoom-manifest: "+format+"\n", a...)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "usage: cohostd zoom-manifest -public-url URL [-app cohost|signin] [-granters LIST] [-mode oauth]")
			fs.PrintDefaults()
			return 0
		}
		return fail("%v", err)
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if *publicURL == "" {
		return fail("-public-url is required: the https URL where Zoom reaches cohostd, as in COHOST_PUBLIC_URL")
	}
	if _, err := zoomapp.CheckPublicURL(*publicURL); err != nil {
		return fail("-public-url: %v", err)
	}
	switch *app {
	case "cohost":
	case "signin":
		var set []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "granters" || f.Name == "mode" {
				set = append(set, "-"+f.Name)
			}
		})
		if len(set) > 0 {
			return fail("%s: the sign-in app has one scope whatever the granters and mode; leave it out with -app signin", strings.Join(set, " and "))
		}
		out, err := zoomapp.SignInManifest(*publicURL)
		if err != nil {
			return fail("%v", err)
		}
		if _, err := stdout.Write(out); err != nil {
			return fail("%v", err)
		}
		return 0
	default:
		return fail("-app: %q is not cohost or signin", *app)
	}
	list, err := zoomapp.ParseGranters(*granters)
	if err != nil {
		return fail("-granters: %v", err)
	}
	if _, err := zoomapp.CheckMode(*mode); err != nil {
		return fail("-mode: %v", err)
	}
	out, err := zoomapp.Manifest(zoomapp.Options{PublicURL: *publicURL, Granters: list, Mode: *mode})
	if err != nil {
		return fail("%v", err)
	}
	if _, err := stdout.Write(out); err != nil {
		return fail("%v", err)
	}
	return 0
}

// hostLink prints a host link for one meeting, with the service's own
// configuration (on Kubernetes: kubectl exec deploy/cohost -- cohostd
// host-link 81234567890).
func hostLink(args []string, env config.Env, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("host-link", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ttl := fs.Duration("ttl", 0, "how long the link works (at most 24h); default until a few hours after the meeting's scheduled end")
	account := fs.String("account", "", "the meeting's Zoom account id (oauth mode, for a meeting cohost has not heard of)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cohostd host-link [-ttl D] [-account ID] MEETING_ID")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if !api.CanonicalMeetingID(fs.Arg(0)) {
		fmt.Fprintf(stderr, "cohostd: MEETING_ID %q is not a Zoom meeting id: %s\n", api.CleanText(fs.Arg(0), 40), api.MeetingIDForm)
		return 2
	}
	cfg, err := config.Load(env)
	if err != nil {
		printConfigProblems(stderr, err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("service", "cohostd")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hosts, closeFn, err := server.OpenHostLinks(ctx, cfg, logger)
	if err != nil {
		fmt.Fprintf(stderr, "cohostd: %s\n", strings.Join(strings.Fields(err.Error()), " "))
		return 1
	}
	defer closeFn()
	l, err := hosts.MintLink(ctx, hostclient.MintRequest{MeetingID: fs.Arg(0), AccountID: *account, TTL: *ttl})
	if err != nil {
		if ge, ok := errors.AsType[*grant.Error](err); ok && ge.Message != "" {
			fmt.Fprintf(stderr, "cohostd: %s\n", ge.Message)
			switch ge.Code {
			case api.AdminErrInvalidMeetingID, api.AdminErrInvalidTTL, api.AdminErrAccountIDRequired, api.AdminErrPublicURLUnset,
				api.AdminErrMeetingUnknownToZoom, api.AdminErrHostNotInAccount:
				return 2 // the command line or the configuration must change
			}
			return 1
		}
		fmt.Fprintf(stderr, "cohostd: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, l.URL)
	fmt.Fprintf(stderr, "host link for meeting %s, good until %s; start the meeting from it instead of Zoom's start_url\n",
		l.MeetingID, l.ExpiresAt.UTC().Format(time.RFC3339))
	return 0
}
