package main

import (
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/urfave/cli/v2"
)

// cleanupArgs holds everything cleanup needs, independently of the CLI.
type cleanupArgs struct {
	audit              auditArgs
	update             updateArgs
	hosts              cli.StringSlice
	stale              bool
	replaceWith        string
	replacePort        int
	replaceTTL         int
	replacePriority    int
	replaceWeight      int
	includeUnreachable bool
	requireLive        bool
	yes                bool
	backup             string
	statePath          string
}

func cleanupCommand(e env) *cli.Command {
	var a cleanupArgs
	return &cli.Command{
		Name:      "cleanup",
		Usage:     "remove a failed KMS host's records everywhere, with a backup",
		UsageText: "kmsdns cleanup (--host HOST... | --stale) [--replace-with HOST] [options]",
		Description: `Audits the zones (--zone, or every zone of --config), then removes exactly
what is asked: with --host, every record whose target is that host
(repeatable); with --stale, every record the audit finds decommissioned or
target-unresolvable, and with --include-unreachable also host-unreachable
and not-kms ones. One of --host or --stale is required. A --host that is the
target of no record is an error that lists the closest targets seen.
Healthy records are never touched.

The plan is shown first and confirmed when stdin and stderr are terminals;
otherwise (cron, systemd) nothing changes without --yes (exit 3).

Before any change, every record to be removed is written to a backup file
(zone-file format, synced to disk); the restore command printed after the
run puts them back. Each zone is changed by one UPDATE message whose
prerequisites guard every deletion: a record changed since the audit is left
alone. --replace-with adds the new host in the same message, so no name is
ever without a record; it takes the TTL of the RRset it joins unless --ttl
is given (an RRset has one TTL: a different --ttl changes the others' too,
and the plan says so). The replacement is resolved and probed on its KMS
port first, as publish does: a host that does not answer is a warning
(--require-live: nothing is sent; --no-probe: not probed). The last record
of a name is not removed without --replace-with or --force. A record asked
to be removed and kept (the last of its name, or changed since the audit
read it) makes the run exit 1, with the reason; --dry-run exits the same.

What was removed is remembered in the state file (--state, or "state:" under
defaults in the config), written under a lock after each zone; a later audit
reports a removed record that came back (a live host re-registers every 24
hours unless slmgr /cdns is run on it). Interrupted (SIGINT, SIGTERM),
cleanup sends no further update and prints what became of each zone
(exit 2); interrupted before the plan exists, it changes nothing (exit 2).

Examples:
   kmsdns cleanup --config /etc/kmsdns/kmsdns.yaml --host kms-old.contoso.com --dry-run
   kmsdns cleanup --config /etc/kmsdns/kmsdns.yaml --stale --include-unreachable --dry-run
   kmsdns cleanup --zone contoso.com --zone fabrikam.com --server 10.0.0.53 --key-file /etc/kmsdns/update.key \
       --host kms-old.contoso.com --replace-with kms2.contoso.com --yes`,
		Flags: joinFlags([]cli.Flag{
			configFlag(&a.audit.configFile),
			&cli.StringSliceFlag{Name: "zone", Aliases: []string{"z"}, Usage: "zone `NAME` to clean (repeatable; default: every zone of --config)", Destination: &a.audit.zones},
			&cli.StringSliceFlag{Name: "name", Aliases: []string{"n"}, Usage: "extra client DNS suffix `NAME` to check (repeatable)", Destination: &a.audit.names},
			&cli.StringSliceFlag{Name: "host", Usage: "failed or retired KMS `HOST` whose records go (repeatable)", Destination: &a.hosts},
			&cli.BoolFlag{Name: "stale", Usage: "remove every record the audit finds decommissioned or target-unresolvable", Destination: &a.stale},
			&cli.BoolFlag{Name: "include-unreachable", Usage: "with --stale, also records whose host does not answer (host-unreachable, not-kms)", Destination: &a.includeUnreachable},
			&cli.StringFlag{Name: "replace-with", Usage: "KMS `HOST` to publish wherever a removed host was, in the same message", Destination: &a.replaceWith},
			&cli.IntFlag{Name: "replace-port", Value: publish.DefaultPort, Usage: "`PORT` of the --replace-with host", DefaultText: "the port the audit expects of it: host-ports, --expected-port, 1688", Destination: &a.replacePort},
			&cli.IntFlag{Name: "ttl", Usage: "`TTL` of the --replace-with record", DefaultText: "the TTL of the RRset it joins", Destination: &a.replaceTTL},
			&cli.IntFlag{Name: "priority", Usage: "SRV `PRIORITY` of the --replace-with record (clients since Windows 7 honour it)", Destination: &a.replacePriority},
			&cli.IntFlag{Name: "weight", Usage: "SRV `WEIGHT` of the --replace-with record", Destination: &a.replaceWeight},
			&cli.BoolFlag{Name: "require-live", Usage: "refuse (send nothing) when the --replace-with host does not resolve or does not answer as a KMS host, instead of warning", Destination: &a.requireLive},
			&cli.BoolFlag{Name: "force", Usage: "also remove the last record of a name when there is no replacement", Destination: &a.update.force},
			dryRunFlag(&a.update.dryRun),
			verboseFlag(&a.update.verbose),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (needed without a terminal)", Destination: &a.yes},
			&cli.StringFlag{Name: "backup", Usage: "backup `FILE`", DefaultText: "kmsdns-backup-<time>.zone in the current directory", Destination: &a.backup},
			stateFlag(&a.statePath),
			&cli.StringFlag{Name: "server", Aliases: []string{"s"}, Usage: "server `HOST[:PORT]` to read from and update (default: the zone's SOA MNAME)", Destination: &a.audit.flags.Server},
		}, tsigFlags(tsigDest{KeyFile: &a.audit.flags.KeyFile, KeyName: &a.audit.flags.KeyName, Algorithm: &a.audit.flags.KeyAlgorithm, SecretFile: &a.audit.flags.SecretFile}),
			gssFlags(&a.update.flags.Update), []cli.Flag{
				resolverFlag(&a.audit.flags.Resolver, "used to find zone servers and to look up targets outside the zones"),
				timeoutFlag(&a.audit.flags.Timeout, "how long to wait for a connection or the next message"),
				probeTimeoutFlag(&a.audit.flags.ProbeTimeout),
				&cli.BoolFlag{Name: "no-probe", Usage: "do not connect to KMS hosts, the --replace-with host included (no host-unreachable, no liveness warnings)", Destination: &a.audit.flags.NoProbe},
				&cli.StringSliceFlag{Name: "decommissioned", Usage: "`HOST` that must no longer be published (repeatable)", Destination: &a.audit.decommissioned},
				&cli.IntFlag{Name: "expected-port", Usage: "`PORT` records should carry (for the audit)", DefaultText: "1688", Destination: &a.audit.flags.ExpectedPort},
				outputFlag(&a.update.output, "result"),
			}),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("cleanup: %v (see kmsdns cleanup --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("cleanup: unexpected argument %q", c.Args().First())
			}
			a.audit.flags.Zones = a.audit.zones.Value()
			a.audit.flags.Names = a.audit.names.Value()
			a.audit.flags.Decommissioned = a.audit.decommissioned.Value()
			return runCleanup(c, e, a)
		},
	}
}

// cleanupInput checks the flags: the selection and the replacement.
func cleanupInput(a cleanupArgs) (cleanup.Selection, *publish.Record, error) {
	sel := cleanup.Selection{Stale: a.stale, IncludeUnreachable: a.includeUnreachable}
	if a.update.output != "table" && a.update.output != "json" {
		return sel, nil, usageError("--output: %q is not table or json", a.update.output)
	}
	for _, h := range a.hosts.Value() {
		hh, err := dnsx.CheckHost(h)
		if err != nil {
			return sel, nil, usageError("cleanup: --host: %v", err)
		}
		sel.Hosts = append(sel.Hosts, hh)
	}
	if len(sel.Hosts) == 0 && !sel.Stale {
		return sel, nil, usageError("cleanup: %v (see kmsdns cleanup --help)", cleanup.ErrNothingSelected)
	}
	if a.includeUnreachable && !a.stale {
		return sel, nil, usageError("cleanup: --include-unreachable widens --stale: give --stale too")
	}
	if a.replaceWith == "" {
		if a.replaceTTL != 0 || a.replacePriority != 0 || a.replaceWeight != 0 || a.requireLive {
			return sel, nil, usageError("cleanup: --ttl, --priority, --weight and --require-live are for the --replace-with record")
		}
		return sel, nil, nil
	}
	for _, v := range []struct {
		name     string
		val, max int
	}{{"--replace-port", a.replacePort, 65535}, {"--priority", a.replacePriority, 65535}, {"--weight", a.replaceWeight, 65535}, {"--ttl", a.replaceTTL, 1<<31 - 1}} {
		if v.val < 0 || v.val > v.max || v.name == "--replace-port" && v.val == 0 {
			return sel, nil, usageError("cleanup: %s %d is out of range", v.name, v.val)
		}
	}
	r, err := publish.Record{Target: a.replaceWith, Port: uint16(a.replacePort), TTL: publish.DefaultTTL,
		Priority: uint16(a.replacePriority), Weight: uint16(a.replaceWeight)}.Check()
	if err != nil {
		return sel, nil, usageError("cleanup: --replace-with: %v", err)
	}
	r.TTL = uint32(a.replaceTTL) // 0: the TTL of the RRset it joins
	for _, h := range sel.Hosts {
		if h == r.Target {
			return sel, nil, usageError("cleanup: --replace-with %s is also a --host to remove", a.replaceWith)
		}
	}
	return sel, &r, nil
}
