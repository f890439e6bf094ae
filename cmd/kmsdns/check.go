package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/urfave/cli/v2"
)

// checkArgs holds everything needed to run kmsdns check.
type checkArgs struct {
	resolver     string
	timeout      time.Duration
	probeTimeout time.Duration
	noProbe      bool
	expectedPort int
	output       string
}

func checkCommand(e env) *cli.Command {
	var a checkArgs
	return &cli.Command{
		Name:      "check",
		Usage:     "show what KMS clients in DOMAIN see, and what fails",
		UsageText: "kmsdns check [options] DOMAIN...",
		Description: `Asks the resolver for _vlmcs._tcp.DOMAIN exactly as a KMS client whose DNS
suffix is DOMAIN does (no zone transfer, no configuration), resolves every
target, probes each host's KMS port with an RPC bind (never an activation
request), and reports the same findings as kmsdns audit. It replaces
"nslookup -type=srv _vlmcs._tcp" and the manual steps that follow it.

Examples:
   kmsdns check contoso.com
   kmsdns check --resolver 10.0.0.1 emea.contoso.com apac.contoso.com
   kmsdns check --output json contoso.com`,
		Flags: []cli.Flag{
			resolverFlag(&a.resolver, "to ask, as clients do"),
			timeoutFlag(&a.timeout, "how long to wait for each DNS answer"),
			probeTimeoutFlag(&a.probeTimeout),
			&cli.BoolFlag{Name: "no-probe", Usage: "do not connect to KMS hosts", Destination: &a.noProbe},
			&cli.IntFlag{Name: "expected-port", Usage: "`PORT` the records should carry", DefaultText: "1688", Destination: &a.expectedPort},
			outputFlag(&a.output, "report"),
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("check: %v (see kmsdns check --help)", err)
		},
		Action: func(c *cli.Context) error {
			return runCheck(c, e, a, c.Args().Slice())
		},
	}
}

func runCheck(c *cli.Context, e env, a checkArgs, domains []string) error {
	if len(domains) == 0 {
		return usageError("check: give at least one DOMAIN (a client's DNS suffix)")
	}
	if a.output != "table" && a.output != "json" {
		return usageError("--output: %q is not table or json", a.output)
	}
	if a.expectedPort < 0 || a.expectedPort > 65535 {
		return usageError("--expected-port: %d is not between 1 and 65535", a.expectedPort)
	}
	if err := config.CheckServer(a.resolver); err != nil {
		return usageError("--resolver: %v", err)
	}
	for _, d := range domains {
		if err := config.CheckDomain(d); err != nil {
			return usageError("check: %v", err)
		}
	}
	var results []*zone.Snapshot
	containing := map[string]string{}
	for _, d := range domains {
		r := resolve.ClientView(c.Context, a.resolver, d, a.timeout)
		results = append(results, r)
		// The zone that holds the domain, for the commands fixes suggest.
		if z, err := resolve.ContainingZone(c.Context, a.resolver, r.Zone, a.timeout); err == nil {
			containing[r.Zone] = z
		}
	}
	opts := audit.Options{
		Policy:         audit.Policy{ExpectedPort: uint16(a.expectedPort)},
		Resolver:       &resolve.TargetResolver{Resolver: a.resolver, Timeout: a.timeout},
		Now:            e.now,
		ContainingZone: containing,
	}
	if !a.noProbe {
		opts.Prober = probe.Prober{Timeout: a.probeTimeout}
	}
	rep := audit.Run(c.Context, results, opts)
	if err := render(e.stdout, a.output, rep); err != nil {
		return &codeError{code: exitErrors, err: err}
	}
	if rep.Interrupted {
		return &codeError{code: exitErrors, err: errIncomplete}
	}
	if a.output == "table" {
		renderOutcomes(e.stdout, rep, results, !a.noProbe)
	}
	return reportCode(rep)
}

// renderOutcomes says, per domain, what a client gets. Without probes
// nothing is known to work: the hosts were not probed.
func renderOutcomes(w io.Writer, rep *audit.Report, results []*zone.Snapshot, probed bool) {
	fmt.Fprintln(w, "\nWhat a client sees")
	working := "a working KMS host"
	if !probed {
		working = "a host that resolves (not probed: --no-probe)"
	}
	for _, r := range results {
		o := rep.Outcome(r.Zone)
		switch {
		case r.Err != nil:
			para(w, "  ", fmt.Sprintf("%s: DNS lookup failed (%v): clients see %s", short(r.Zone), r.Err, audit.CodeServerFailure), "    ")
		case o.Records == 0:
			para(w, "  ", fmt.Sprintf("%s: no KMS record: clients fail with %s (DNS name does not exist)", short(r.Zone), audit.CodeNameNotExist), "    ")
		case len(o.Working) == 0:
			para(w, "  ", fmt.Sprintf("%s: %d record(s), none leads to %s: clients fail with %s", short(r.Zone), o.Records, working, audit.CodeNoKMS), "    ")
		default:
			para(w, "  ", fmt.Sprintf("%s: a client picks one of %d record(s) by priority and weight; %d lead to %s: %s",
				short(r.Zone), o.Records, len(o.Working), working, strings.Join(shortAll(o.Working), ", ")), "    ")
		}
	}
}

func shortAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.Replace(x, ".:", ":", 1)
	}
	return out
}
