package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/report"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/urfave/cli/v2"
)

// auditArgs holds everything needed to run an audit, independently of the CLI.
type auditArgs struct {
	configFile     string
	flags          config.Flags
	zones          cli.StringSlice
	zoneFiles      cli.StringSlice
	includeDirs    cli.StringSlice
	names          cli.StringSlice
	decommissioned cli.StringSlice
	approved       cli.StringSlice
	output         string
	statePath      string
	findingsOnly   bool
	reports        cli.StringSlice
	baseline       string
	history        string
	keep           int
	// update, when set, are the update credentials of a command that
	// writes after the audit (cleanup): the merge then gives each zone its
	// update settings too.
	update *config.Update
}

func auditCommand(e env) *cli.Command {
	var a auditArgs
	return &cli.Command{
		Name:      "audit",
		Usage:     "find every KMS SRV record in your zones and report problems",
		UsageText: "kmsdns audit [--config FILE] [--zone NAME]... [--zone-file FILE]... [options]",
		Description: `Reads each zone by zone transfer (AXFR, TSIG-signed with --key-file), or,
when the transfer is refused or times out, by querying _vlmcs._tcp at the
apex and at each --name directly. Zone files (BIND format or Windows
"dnscmd /ZoneExport" files) are read with --zone-file. Without --server the
zone's primary (SOA MNAME) and then its NS hosts are asked.

Exit codes: 0 clean, 1 warnings only, 2 errors (a zone that could not be
read is one), 3 bad usage or config (nothing was audited).

Examples:
   # the bundled sample zones, no network
   kmsdns audit --offline --zone-file testdata/zones/contoso.com.zone --zone-file testdata/zones/fabrikam.com.dns

   # one zone from its primary, the transfer signed with a TSIG key
   kmsdns audit --zone contoso.com --server 10.0.0.53 --key-file /etc/kmsdns/xfr.key

   # a server that refuses transfers: ask the apex and two client suffixes
   kmsdns audit --zone corp.contoso.com --server dc1.corp.contoso.com --name emea --name apac

   # the weekly audit of every configured zone, as JSON for a script
   kmsdns audit --config /etc/kmsdns/kmsdns.yaml --output json`,
		Flags: joinFlags([]cli.Flag{
			configFlag(&a.configFile),
			&cli.StringSliceFlag{Name: "zone", Aliases: []string{"z"}, Usage: "zone `NAME` to audit (repeatable; default: every zone of --config)", Destination: &a.zones},
			&cli.StringSliceFlag{Name: "zone-file", Aliases: []string{"f"}, Usage: "read the zone from `FILE` instead of a server (repeatable; origin from --zone or the file)", Destination: &a.zoneFiles},
			&cli.StringSliceFlag{Name: "include-dir", Usage: "also let $INCLUDE in zone files read from `DIR` (repeatable; by default only the zone file's own directory)", Destination: &a.includeDirs},
			&cli.StringSliceFlag{Name: "name", Aliases: []string{"n"}, Usage: "extra client DNS suffix `NAME` that must have KMS records, relative to the zone (repeatable)", Destination: &a.names},
			&cli.StringFlag{Name: "server", Aliases: []string{"s"}, Usage: "server `HOST[:PORT]` to transfer or query from (default: the zone's SOA MNAME, then its NS hosts)", Destination: &a.flags.Server},
		}, tsigFlags(tsigDest{KeyFile: &a.flags.KeyFile, KeyName: &a.flags.KeyName, Algorithm: &a.flags.KeyAlgorithm, SecretFile: &a.flags.SecretFile}), []cli.Flag{
			timeoutFlag(&a.flags.Timeout, "how long to wait for a connection or the next message"),
			&cli.IntFlag{Name: "concurrency", Usage: "`N` zones read at once", DefaultText: "4", Destination: &a.flags.Concurrency},
			&cli.DurationFlag{Name: "transfer-timeout", Usage: "how long a whole zone transfer may take" + durationHint, DefaultText: "5m", Destination: &a.flags.TransferTimeout},
			&cli.IntFlag{Name: "max-kms-records", Usage: "most `N` distinct KMS records kept per zone; a server sending more is an error", DefaultText: "10000", Destination: &a.flags.MaxKMSRecords},
			resolverFlag(&a.flags.Resolver, "used to find zone servers and to look up targets outside the zones"),
			&cli.BoolFlag{Name: "offline", Usage: "send nothing on the network: only zone files are read, targets outside them are not verified, nothing is probed", Destination: &a.flags.Offline},
			probeTimeoutFlag(&a.flags.ProbeTimeout),
			&cli.BoolFlag{Name: "no-probe", Usage: "do not connect to KMS hosts (still resolve their names)", Destination: &a.flags.NoProbe},
			&cli.IntFlag{Name: "expected-port", Usage: "`PORT` every record should carry", DefaultText: "1688", Destination: &a.flags.ExpectedPort},
			&cli.StringSliceFlag{Name: "decommissioned", Usage: "`HOST` that must no longer be published (repeatable)", Destination: &a.decommissioned},
			&cli.StringSliceFlag{Name: "approved", Usage: "`HOST` allowed to be published; with any, others are reported (repeatable)", Destination: &a.approved},
			&cli.DurationFlag{Name: "max-ttl", Usage: "TTL above which long-ttl is reported" + durationHint, DefaultText: "24h", Destination: &a.flags.MaxTTL},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "`FORMAT` of the report on stdout: table, json or nagios (one monitoring-plugin line)", Destination: &a.output},
			&cli.StringSliceFlag{Name: "report", Usage: "also write the report to `FILE`, in the format its extension names: .json, .md, .html or .prom (repeatable)", Destination: &a.reports},
			&cli.StringFlag{Name: "baseline", Usage: "earlier JSON report `FILE`: mark findings new or persisting and list those resolved", Destination: &a.baseline},
			&cli.StringFlag{Name: "history", Usage: "keep each run's JSON report in `DIR` and compare with the latest one there", Destination: &a.history},
			&cli.IntFlag{Name: "keep", Usage: "`N` runs kept in --history", Value: report.DefaultKeep, Destination: &a.keep},
			&cli.BoolFlag{Name: "findings-only", Usage: "print only the findings, one block per zone (table output)", Destination: &a.findingsOnly},
			stateFlag(&a.statePath),
		}),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("audit: %v (see kmsdns audit --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("audit: unexpected argument %q (zones are given with --zone)", c.Args().First())
			}
			a.flags.Zones = a.zones.Value()
			a.flags.ZoneFiles = a.zoneFiles.Value()
			a.flags.IncludeDirs = a.includeDirs.Value()
			a.flags.Names = a.names.Value()
			a.flags.Decommissioned = a.decommissioned.Value()
			a.flags.Approved = a.approved.Value()
			return runAudit(c, e, a)
		},
	}
}

func runAudit(c *cli.Context, e env, a auditArgs) (err error) {
	if a.output == "nagios" {
		// A monitoring plugin always prints its one line: nothing audited
		// is UNKNOWN, with the exit code 3 it already has.
		defer func() {
			var ce *codeError
			if errors.As(err, &ce) && ce.code == exitUsage && ce.err != nil {
				msg, _, _ := strings.Cut(ce.err.Error(), "\n")
				fmt.Fprintf(e.stdout, "KMSDNS UNKNOWN - %s\n", msg)
			}
		}()
	}
	if a.output != "table" && a.output != "json" && a.output != "nagios" {
		return usageError("--output: %q is not table, json or nagios", a.output)
	}
	if a.findingsOnly && a.output != "table" {
		return usageError("--findings-only: only with --output table (the JSON report has a findings list)")
	}
	if a.keep < 1 {
		return usageError("--keep: %d runs: keep at least 1", a.keep)
	}
	reports, err := report.Open(report.Config{Files: a.reports.Value(), Baseline: a.baseline, HistoryDir: a.history, Keep: a.keep, Now: e.now()})
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	res, err := auditZones(c, e, a, nil)
	if err != nil {
		return err
	}
	reports.Mark(res.report)
	switch {
	case a.findingsOnly:
		renderFindingsOnly(e.stdout, res.report)
	case a.output == "nagios" && res.report.Interrupted:
		// Not a CRITICAL: nothing is known to be down. UNKNOWN is exit 3.
		fmt.Fprintf(e.stdout, "KMSDNS UNKNOWN - %v\n", errIncomplete)
		return &codeError{code: exitUsage}
	case a.output == "nagios":
		fmt.Fprintln(e.stdout, report.Nagios(res.report))
	default:
		if err := render(e.stdout, a.output, res.report); err != nil {
			return &codeError{code: exitErrors, err: err}
		}
	}
	if res.report.Interrupted {
		// An incomplete report is no baseline: no file, no history.
		return &codeError{code: exitErrors, err: errIncomplete}
	}
	if err := reports.Finish(res.report); err != nil {
		return &codeError{code: exitErrors, err: err}
	}
	return reportCode(res.report)
}

// errIncomplete ends an audit or check interrupted (SIGINT, SIGTERM)
// while it resolved or probed: what it printed is partial, and a probe cut
// short is no finding.
var errIncomplete = errors.New("interrupted: the report is incomplete")

// audited is what auditZones returns.
type audited struct {
	file   *config.File
	report *audit.Report
	// results are the zones as read; findings refer to their records.
	results []*zone.Snapshot
	// removed are the records the state file says cleanup removed.
	removed []audit.Removed
	// statePath is where state lives.
	statePath string
	// update is how each zone is updated, when auditArgs.update is set.
	update *config.UpdatePlan
	// policy is what the audit expected of the records.
	policy audit.Policy
}

// auditZones loads the config, reads the zones and judges them: the audit
// that both kmsdns audit and kmsdns cleanup run. check, when set, vets the
// plan before anything is read.
func auditZones(c *cli.Context, e env, a auditArgs, check func(*config.Plan) error) (*audited, error) {
	res := &audited{statePath: a.statePath}
	if a.configFile != "" {
		var err error
		if res.file, err = config.Load(a.configFile); err != nil {
			return nil, &codeError{code: exitUsage, err: err}
		}
	}
	var plan *config.Plan
	var err error
	if a.update != nil {
		plan, res.update, err = config.MergeWrite(res.file, a.flags, *a.update)
	} else {
		plan, err = config.Merge(res.file, a.flags)
	}
	if err != nil {
		return nil, &codeError{code: exitUsage, err: err}
	}
	if check != nil {
		if err := check(plan); err != nil {
			return nil, err
		}
	}
	res.policy = plan.Policy
	res.statePath = statePath(res.statePath, res.file)
	state, err := cleanup.LoadState(res.statePath)
	if err != nil {
		// Monitoring must keep working: say so and audit without it.
		fmt.Fprintf(e.stderr, "kmsdns: warning: %v: removed records that are back are not reported this time\n", err)
		state = &cleanup.State{}
	}
	for _, w := range plan.Warnings {
		e.warn(w)
	}
	opts := plan.Options
	prog := newProgress(e, len(plan.Specs))
	opts.Progress = prog.update
	start := e.now()
	results := zone.ReadAll(c.Context, plan.Specs, opts)
	if !opts.Offline {
		// Every NS server's serial and records, to find stale secondaries.
		resolve.ViewAll(c.Context, results, resolve.ViewOptions{Port: opts.Port, Resolver: opts.Resolver, Timeout: plan.Timeout, Concurrency: opts.Concurrency})
	}
	prog.done(e.now().Sub(start))
	if c.Context.Err() != nil {
		return nil, &codeError{code: exitErrors, err: fmt.Errorf("interrupted: %w", c.Context.Err())}
	}
	aopts := auditOptions(plan, e, prog)
	aopts.Removed = state.Removed
	res.removed = state.Removed
	res.results = results
	res.report = audit.Run(c.Context, results, aopts)
	prog.finish()
	return res, nil
}

// statePath is the state file: the --state flag, else the config's
// defaults.state, else cleanup.DefaultStatePath.
func statePath(flag string, file *config.File) string {
	switch {
	case flag != "":
		return flag
	case file != nil && file.Defaults.State != "":
		return file.Defaults.State
	}
	return cleanup.DefaultStatePath()
}

// reportCode maps a report to the exit code.
func reportCode(rep *audit.Report) error {
	switch {
	case rep.Summary.Errors > 0:
		return &codeError{code: exitErrors}
	case rep.Summary.Warnings > 0:
		return &codeError{code: exitWarnings}
	}
	return nil
}

// auditOptions turns the plan into audit options with the real resolver
// and prober.
func auditOptions(plan *config.Plan, e env, prog *progress) audit.Options {
	opts := audit.Options{
		Policy:      plan.Policy,
		Concurrency: plan.ProbeConcurrency,
		Now:         e.now,
		Progress:    prog.probed,
		Resolver: &resolve.TargetResolver{
			Resolver: plan.Options.Resolver,
			Offline:  plan.Options.Offline,
			Timeout:  plan.Timeout,
		},
	}
	if plan.Probe {
		opts.Prober = probe.Prober{Timeout: plan.ProbeTimeout}
	}
	return opts
}
