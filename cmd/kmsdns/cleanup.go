package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/urfave/cli/v2"
)

// cleanupArgs holds everything cleanup needs, independently of the CLI.
type cleanupArgs struct {
	audit              auditArgs
	update             updateArgs
	hosts              cli.StringSlice
	replaceWith        string
	replacePort        int
	includeUnreachable bool
	yes                bool
	backup             string
	statePath          string
}

func cleanupCommand(e env) *cli.Command {
	var a cleanupArgs
	return &cli.Command{
		Name:      "cleanup",
		Usage:     "after a KMS host fails: remove exactly its records everywhere, with a backup",
		UsageText: "kmsdns cleanup [--config FILE | --zone ZONE...] [--host FAILED...] [--replace-with HOST] [options]",
		Description: `Audits the zones, then removes: every record whose target is a --host, every
record found decommissioned or target-unresolvable, and with
--include-unreachable also host-unreachable and not-kms ones. Healthy records
are never touched. The plan is shown first and confirmed on a terminal
(--yes for scripts; without a terminal and without --yes nothing changes).

Before any change, every record to be removed is written to a backup file
(zone-file format, synced to disk); "kmsdns publish --from-file BACKUP" puts
them back. Each zone is changed by one UPDATE message whose prerequisites
guard every deletion: a record changed since the audit is left alone.
--replace-with adds the new host in the same message, so no name is ever
without a record; the last record of a name is not removed without
--replace-with or --force. What was removed is remembered (--state) and a
later audit reports a removed record that came back (a live host
re-registers every 24 hours unless slmgr /cdns is run on it).

Examples:
   kmsdns cleanup --config /etc/kmsdns/kmsdns.yaml --host kms-old.contoso.com --dry-run
   kmsdns cleanup --zone contoso.com --zone fabrikam.com --server 10.0.0.53 --key-file /etc/kmsdns/update.key \
       --host kms-old.contoso.com --replace-with kms2.contoso.com --yes`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "YAML configuration `FILE`", Destination: &a.audit.configFile},
			&cli.StringSliceFlag{Name: "zone", Aliases: []string{"z"}, Usage: "zone `NAME` to clean (repeatable; default: every zone of --config)", Destination: &a.audit.zones},
			&cli.StringSliceFlag{Name: "name", Aliases: []string{"n"}, Usage: "extra client DNS suffix `NAME` to check (repeatable)", Destination: &a.audit.names},
			&cli.StringSliceFlag{Name: "host", Usage: "failed or retired KMS `HOST` whose records go (repeatable)", Destination: &a.hosts},
			&cli.StringFlag{Name: "replace-with", Usage: "KMS `HOST` to publish wherever a removed host was, in the same message", Destination: &a.replaceWith},
			&cli.IntFlag{Name: "replace-port", Value: publish.DefaultPort, Usage: "`PORT` of the --replace-with host", Destination: &a.replacePort},
			&cli.BoolFlag{Name: "include-unreachable", Usage: "also remove records whose host does not answer (host-unreachable, not-kms)", Destination: &a.includeUnreachable},
			&cli.BoolFlag{Name: "force", Usage: "also remove the last record of a name when there is no replacement", Destination: &a.update.force},
			&cli.BoolFlag{Name: "dry-run", Usage: "show the plan and the UPDATE messages; change nothing", Destination: &a.update.dryRun},
			&cli.BoolFlag{Name: "verbose", Usage: "show detail, such as why a server's answer signature did not verify", Destination: &a.update.verbose},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation", Destination: &a.yes},
			&cli.StringFlag{Name: "backup", Usage: "backup `FILE` (default: kmsdns-backup-<time>.zone in the current directory)", Destination: &a.backup},
			&cli.StringFlag{Name: "state", Usage: "state `FILE` remembering removed records", DefaultText: "$XDG_STATE_HOME/kmsdns/removed.json", Destination: &a.statePath},
			&cli.StringFlag{Name: "server", Aliases: []string{"s"}, Usage: "server `HOST[:PORT]` to read from and update (default: SOA MNAME)", Destination: &a.audit.flags.Server},
			&cli.StringFlag{Name: "key-file", Aliases: []string{"k"}, Usage: "TSIG key `FILE` for transfers and updates", Destination: &a.audit.flags.KeyFile},
			&cli.StringFlag{Name: "key-name", Usage: "`NAME` of the key in the key file", Destination: &a.audit.flags.KeyName},
			&cli.BoolFlag{Name: "gss", Usage: "sign updates with GSS-TSIG (Kerberos ticket cache)", Destination: &a.update.flags.Update.GSS},
			&cli.StringFlag{Name: "keytab", Usage: "GSS-TSIG keytab `FILE` for --principal", Destination: &a.update.flags.Update.Keytab},
			&cli.StringFlag{Name: "principal", Usage: "Kerberos `PRINCIPAL` for --keytab or --password-file", Destination: &a.update.flags.Update.Principal},
			&cli.StringFlag{Name: "password-file", Usage: "GSS-TSIG password `FILE`", Destination: &a.update.flags.Update.PasswordFile},
			&cli.StringFlag{Name: "krb5-conf", Usage: "krb5.conf `FILE`", Destination: &a.update.flags.Update.Krb5Conf},
			&cli.StringFlag{Name: "server-name", Usage: "the primary's DNS host `NAME` for GSS-TSIG", Destination: &a.update.flags.Update.ServerName},
			&cli.StringFlag{Name: "resolver", Usage: "resolver `HOST[:PORT]`", Destination: &a.audit.flags.Resolver},
			&cli.DurationFlag{Name: "timeout", Usage: "network timeout", DefaultText: "10s", Destination: &a.audit.flags.Timeout},
			&cli.DurationFlag{Name: "probe-timeout", Usage: "time allowed for each probe of a KMS host", DefaultText: "3s", Destination: &a.audit.flags.ProbeTimeout},
			&cli.BoolFlag{Name: "no-probe", Usage: "do not probe hosts (no host-unreachable, no liveness warnings)", Destination: &a.audit.flags.NoProbe},
			&cli.StringSliceFlag{Name: "decommissioned", Usage: "`HOST` that must no longer be published (repeatable)", Destination: &a.audit.decommissioned},
			&cli.IntFlag{Name: "expected-port", Usage: "`PORT` records should carry (for the audit)", DefaultText: "1688", Destination: &a.audit.flags.ExpectedPort},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "`FORMAT` of the result: table or json", Destination: &a.update.output},
		},
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

func runCleanup(c *cli.Context, e env, a cleanupArgs) error {
	if a.update.output != "table" && a.update.output != "json" {
		return usageError("--output: %q is not table or json", a.update.output)
	}
	var hosts []string
	for _, h := range a.hosts.Value() {
		hh, err := publish.CheckHost(h)
		if err != nil {
			return usageError("cleanup: --host: %v", err)
		}
		hosts = append(hosts, hh)
	}
	var replace *publish.Record
	if a.replaceWith != "" {
		r, err := publish.Record{Host: a.replaceWith, Port: uint16(a.replacePort), TTL: publish.DefaultTTL}.Check()
		if err != nil || a.replacePort < 1 || a.replacePort > 65535 {
			return usageError("cleanup: --replace-with: %v (port %d)", err, a.replacePort)
		}
		for _, h := range hosts {
			if h == r.Host {
				return usageError("cleanup: --replace-with %s is also a --host to remove", a.replaceWith)
			}
		}
		replace = &r
	}
	// 1. The audit.
	a.audit.statePath = a.statePath
	res, err := auditZones(c, e, a.audit, func(plan *config.Plan) error {
		for _, s := range plan.Specs {
			if len(s.Files) > 0 {
				return usageError("cleanup: zone %s is read from a file: cleanup changes zones on their servers", s.Zone)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep, state, file := res.report, res.state, res.file
	var unreadable []string
	for _, z := range rep.Zones {
		if z.Error != "" {
			unreadable = append(unreadable, fmt.Sprintf("%s: %s", short(z.Zone), z.Error))
		}
	}

	// 2. The plan.
	zonesWith := map[string]bool{}
	var removals []publish.Removal
	for _, cd := range rep.CleanupCandidates(hosts, a.includeUnreachable) {
		zonesWith[cd.Record.Zone] = true
		removals = append(removals, publish.Removal{Record: cd.Record, Check: cd.Check, Reason: cd.Reason, Alive: cd.Alive})
	}
	if len(removals) == 0 {
		for _, u := range unreadable {
			fmt.Fprintln(e.stderr, "kmsdns: could not read", u)
		}
		what := "decommissioned or unresolvable"
		if a.includeUnreachable {
			what = "decommissioned, unresolvable, unreachable or not KMS"
		}
		fmt.Fprintln(e.stdout, "nothing to clean: no record matches --host, and none is "+what)
		if len(unreadable) > 0 {
			return &codeError{code: exitErrors}
		}
		return nil
	}
	var zones []string
	for _, z := range rep.Zones {
		if zonesWith[z.Zone] {
			zones = append(zones, z.Zone)
		}
	}
	uplan, err := config.MergeUpdate(file, config.CleanupFlags(a.audit.flags, a.update.flags, zones))
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	for _, w := range uplan.Warnings {
		e.warn(w)
	}
	targets, cl, done, err := openUpdates(c, e, uplan)
	if err != nil {
		return err
	}
	defer done()
	plans := cl.PlanCleanup(c.Context, targets, removals, replace, a.update.force)
	renderCleanupPlan(e.stdout, plans, replace, unreadable)

	var send []*publish.ZonePlan
	for _, p := range plans {
		send = append(send, p.ZonePlan)
	}
	if a.update.dryRun {
		for _, p := range plans {
			if !p.Empty() {
				fmt.Fprint(e.stdout, "\n"+p.Text())
			}
		}
		fmt.Fprintln(e.stdout, "\ndry run: nothing was changed")
		return nil
	}
	toSend := 0
	for _, p := range send {
		if !p.Empty() {
			toSend++
		}
	}
	if toSend == 0 {
		return cleanupCode(plans, nil, unreadable)
	}

	// 3. Confirmation.
	if !a.yes {
		if !e.stdinTTY {
			return &codeError{code: exitUsage, err: fmt.Errorf("cleanup: no terminal to confirm on: nothing was changed; run again with --yes to apply this plan, or --dry-run to see the UPDATE messages")}
		}
		fmt.Fprintf(e.stderr, "Remove these records from %d zone(s)? [y/N] ", toSend)
		answer, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(e.stderr, "kmsdns: nothing was changed")
			return &codeError{code: exitErrors}
		}
	}

	// 4. Backup, on disk before the first update.
	backup := publish.NewBackup(send, e.now())
	path := a.backup
	if path == "" {
		path = fmt.Sprintf("kmsdns-backup-%s.zone", e.now().UTC().Format("20060102-150405"))
	}
	if err := backup.WriteFile(path); err != nil {
		return &codeError{code: exitErrors, err: fmt.Errorf("%w: nothing was changed", err)}
	}
	fmt.Fprintf(e.stderr, "kmsdns: backup of the records to remove: %s (restore: kmsdns publish --from-file %s)\n", path, path)

	// 5. The updates.
	applied := cl.Apply(c.Context, send)
	var removed []audit.Removed
	for i, r := range applied {
		if r.Err != nil || (r.Action != publish.ActionRemoved && r.Action != publish.ActionReplaced) {
			continue
		}
		for _, d := range send[i].Delete {
			removed = append(removed, audit.Removed{Zone: d.Zone, Name: d.Name, TTL: d.TTL, Priority: d.Priority, Weight: d.Weight,
				Port: d.Port, Target: d.Target, Server: r.Server, RemovedAt: e.now().UTC()})
		}
	}
	if len(removed) > 0 {
		state.Remember(removed...)
		if err := state.Save(res.statePath); err != nil {
			fmt.Fprintln(e.stderr, "kmsdns: warning: removed records not remembered:", err)
		}
	}
	fmt.Fprintln(e.stdout)
	if err := renderResults(e.stdout, a.update.output, applied, a.update.verbose); err != nil {
		return &codeError{code: exitErrors, err: err}
	}
	return cleanupCode(plans, applied, unreadable)
}

// cleanupCode is 0 only when every zone was cleaned, nothing was withheld
// and every zone could be read.
func cleanupCode(plans []*publish.CleanupPlan, results []publish.Result, unreadable []string) error {
	if len(unreadable) > 0 {
		return &codeError{code: exitErrors}
	}
	for _, p := range plans {
		if p.Err != nil || len(p.Withheld) > 0 {
			return &codeError{code: exitErrors}
		}
	}
	return resultCode(results)
}

// cleanupReason says in a few words why a record goes; the finding's full
// message is in the audit.
func cleanupReason(r publish.Removal) string {
	switch r.Check {
	case "host":
		return "named with --host"
	case audit.CheckDecommissioned:
		return "host decommissioned"
	case audit.CheckTargetUnresolv:
		return "target does not resolve"
	case audit.CheckHostUnreachable:
		return "KMS port does not answer"
	case audit.CheckNotKMS:
		return "not a KMS host"
	}
	return r.Reason
}

func renderCleanupPlan(w io.Writer, plans []*publish.CleanupPlan, replace *publish.Record, unreadable []string) {
	fmt.Fprintln(w, "Cleanup plan")
	t := newTable(w)
	t.Header("ZONE", "RECORD", "ACTION", "REASON", "FINDING")
	var alive []string
	for _, p := range plans {
		for _, r := range p.Removals {
			t.Append([]string{short(p.Zone), fmt.Sprintf("%s %d %s", short(r.Record.Name), r.Record.Port, short(r.Record.Target)), "remove", cleanupReason(r), r.Check})
			if r.Alive {
				alive = append(alive, short(r.Record.Target))
			}
		}
		for _, a := range p.Add {
			t.Append([]string{short(p.Zone), fmt.Sprintf("%s %d %s", short(a.Name), a.Port, short(a.Target)), "add", "replaces the removed host", "--replace-with"})
		}
	}
	t.Render()
	for _, p := range plans {
		if p.Err != nil {
			fmt.Fprintf(w, "%s: cannot be planned: %v\n", short(p.Zone), p.Err)
		}
	}
	var withheld, gone []string
	for _, p := range plans {
		for _, r := range p.Withheld {
			withheld = append(withheld, fmt.Sprintf("  %s: %s %d %s (%s)", short(p.Zone), short(r.Record.Name), r.Record.Port, short(r.Record.Target), r.Check))
		}
		for _, r := range p.Gone {
			gone = append(gone, fmt.Sprintf("  %s: %s %d %s", short(p.Zone), short(r.Record.Name), r.Record.Port, short(r.Record.Target)))
		}
	}
	if len(withheld) > 0 {
		fmt.Fprintln(w, "\nKept: the last KMS record of its name, with no replacement (clients would go from 0xC004F074 to 0x8007232B); give --replace-with HOST or --force:")
		fmt.Fprintln(w, strings.Join(withheld, "\n"))
	}
	if len(gone) > 0 {
		fmt.Fprintln(w, "\nAlready gone from the primary (nothing to do):")
		fmt.Fprintln(w, strings.Join(gone, "\n"))
	}
	seen := map[string]bool{}
	for _, h := range alive {
		if seen[h] {
			continue
		}
		seen[h] = true
		fmt.Fprintf(w, "\nNote: %s still answers on its KMS port: it registers its record again within 24 hours unless you run \"slmgr /cdns\" on it (or set DisableDnsPublishing = 1); a later audit reports it as reappeared.\n", h)
	}
	for _, u := range unreadable {
		fmt.Fprintf(w, "\nNot cleaned, could not be read: %s\n", u)
	}
}
