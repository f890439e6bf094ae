package main

import (
	"fmt"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/urfave/cli/v2"
)

// updateArgs holds everything publish and unpublish need, independently
// of the CLI.
type updateArgs struct {
	configFile string
	flags      config.UpdateFlags
	zones      cli.StringSlice
	names      cli.StringSlice
	hosts      cli.StringSlice
	port       int
	ttl        int
	priority   int
	weight     int
	force      bool
	dryRun     bool
	output     string
	fromFile   string
	verbose    bool
	statePath  string
	// requireLive and noProbe: what to do about a host that does not
	// answer as a KMS host (publish only).
	requireLive  bool
	noProbe      bool
	probeTimeout time.Duration
}

// updateFlags are the flags publish and unpublish share; remove says
// which of the two it is.
func updateFlags(a *updateArgs, remove bool) []cli.Flag {
	zoneUse, nameUse, hostUse := "zone `NAME` to change (repeatable; default: every zone of --config)",
		"publish under _vlmcs._tcp.`SUB`.<zone> instead of the apex (repeatable; @ is the apex)",
		"the KMS host's `FQDN`, the SRV target to publish (repeatable)"
	if remove {
		nameUse = "remove from _vlmcs._tcp.`SUB`.<zone> instead of the apex (repeatable; @ is the apex)"
		hostUse = "the KMS host's `FQDN`, the SRV target whose records go (repeatable)"
	}
	return joinFlags([]cli.Flag{
		configFlag(&a.configFile),
		&cli.StringSliceFlag{Name: "zone", Aliases: []string{"z"}, Usage: zoneUse, Destination: &a.zones},
		&cli.StringSliceFlag{Name: "name", Aliases: []string{"n"}, Usage: nameUse, Destination: &a.names},
		&cli.StringSliceFlag{Name: "host", Usage: hostUse, Destination: &a.hosts},
		&cli.StringFlag{Name: "server", Aliases: []string{"s"}, Usage: "primary `HOST[:PORT]` to update (default: the zone's SOA MNAME)", Destination: &a.flags.Update.Server},
	}, tsigFlags(tsigDest{KeyFile: &a.flags.Update.KeyFile, KeyName: &a.flags.Update.KeyName, Algorithm: &a.flags.KeyAlgorithm, SecretFile: &a.flags.SecretFile}),
		gssFlags(&a.flags.Update), []cli.Flag{
			resolverFlag(&a.flags.Resolver, "used to find primaries and to resolve hosts"),
			timeoutFlag(&a.flags.Timeout, "how long to wait for each answer"),
			dryRunFlag(&a.dryRun),
			outputFlag(&a.output, "result"),
			verboseFlag(&a.verbose),
			stateFlag(&a.statePath),
		})
}

func publishCommand(e env) *cli.Command {
	var a updateArgs
	flags := append(updateFlags(&a, false),
		&cli.IntFlag{Name: "port", Value: publish.DefaultPort, Usage: "`PORT` the KMS host listens on", DefaultText: "the port of the host's record at that name, 1688 for a new one", Destination: &a.port},
		&cli.IntFlag{Name: "ttl", Usage: "record `TTL` in seconds; an RRset has one TTL, so this sets it for the name's other records too", DefaultText: "the TTL of the records already there, 3600 for a new name", Destination: &a.ttl},
		&cli.IntFlag{Name: "priority", Usage: "SRV `PRIORITY`: clients (Windows 7 and later) try the lowest first, e.g. 0 for the primary and 10 for a standby", DefaultText: "the host's record's, 0 for a new one", Destination: &a.priority},
		&cli.IntFlag{Name: "weight", Usage: "SRV `WEIGHT`: shares the load between hosts of one priority (0 beside non-zero weights: almost never picked)", DefaultText: "the host's record's, 0 for a new one", Destination: &a.weight},
		&cli.BoolFlag{Name: "require-live", Usage: "refuse to publish a host that does not resolve or does not answer as a KMS host, instead of warning", Destination: &a.requireLive},
		&cli.BoolFlag{Name: "no-probe", Usage: "do not connect to the host to check that it answers as a KMS host (still resolve it)", Destination: &a.noProbe},
		probeTimeoutFlag(&a.probeTimeout),
		&cli.StringFlag{Name: "from-file", Usage: "restore the records of a kmsdns cleanup `BACKUP` file (zones and servers from the file; --server overrides)", Destination: &a.fromFile},
	)
	return &cli.Command{
		Name:      "publish",
		Usage:     "add a KMS host's _vlmcs._tcp SRV records to zones (RFC 2136)",
		UsageText: "kmsdns publish --zone ZONE... --host FQDN... [--name SUB]... [options]",
		Description: `Adds _vlmcs._tcp.<zone> SRV <priority> <weight> <port> <host> to every zone
given, as DnsDomainPublishList does on a KMS host: every --host under every
--name (the apex without --name), in one UPDATE message per zone. Where a
host already has a record at a name, --port, --priority and --weight not
given keep its values (a new record: 1688, 0, 0). A record already as asked
is left alone; one of the host with other values is replaced in the same
message, and the plan says what changes (port 1689 -> 1688).
An RRset has one TTL (RFC 2181 5.2): without --ttl the record takes the TTL
of the records already there; a --ttl that differs changes theirs too, and
the plan says so. Each host is resolved and probed on its record's port
first; a host that does not answer is a warning (--require-live: a refusal,
--no-probe: not probed). The primary is --server, the config, or the zone's
SOA MNAME. After each update the records are read back from the primary.
Exit 0 only if every zone succeeded (warnings do not change it).

Credentials never go on the command line: TSIG keys come from a key file,
or from --key-secret-file / $KMSDNS_TSIG_SECRET; GSS-TSIG uses your Kerberos
ticket cache (kinit), a keytab, or a password file.

Examples:
   kmsdns publish --zone contoso.com --zone fabrikam.com --host kms1.contoso.com --key-file /etc/kmsdns/update.key
   kmsdns publish --zone corp.contoso.com --host kms1.corp.contoso.com --gss --server dc1.corp.contoso.com
   kmsdns publish --zone contoso.com --name emea --name apac --host kms-emea.contoso.com --host kms2.contoso.com --dry-run
   kmsdns publish --from-file kmsdns-backup-20261122-090000.zone --key-file /etc/kmsdns/update.key
   KMSDNS_TSIG_SECRET=... kmsdns publish --zone contoso.com --host kms1.contoso.com --key-name upd --key-algorithm hmac-sha256`,
		Flags: flags,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("publish: %v (see kmsdns publish --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("publish: unexpected argument %q", c.Args().First())
			}
			if a.fromFile != "" {
				return runRestore(c, e, a)
			}
			return runUpdate(c, e, a, false)
		},
	}
}

func unpublishCommand(e env) *cli.Command {
	var a updateArgs
	flags := append(updateFlags(&a, true),
		&cli.BoolFlag{Name: "force", Usage: "also remove the last KMS record of a name (its clients then fail with " + audit.CodeNameNotExist + ")", Destination: &a.force},
	)
	return &cli.Command{
		Name:      "unpublish",
		Usage:     "remove a KMS host's _vlmcs._tcp SRV records from zones",
		UsageText: "kmsdns unpublish --zone ZONE... --host FQDN... [--name SUB]... [options]",
		Description: `Removes only the SRV records whose target is a --host (repeatable), under
every --name (the apex without --name), in one UPDATE message per zone;
other hosts' records are never touched. Each deletion carries an RFC 2136
prerequisite that the records are still as read, so a record that changed
meanwhile is left alone. Removing the last KMS record of a name needs
--force. The primary is --server, the config, or the zone's SOA MNAME.

Examples:
   kmsdns unpublish --zone contoso.com --zone fabrikam.com --host kms-old.contoso.com --key-file /etc/kmsdns/update.key
   kmsdns unpublish --config /etc/kmsdns/kmsdns.yaml --host kms-old.contoso.com --dry-run`,
		Flags: flags,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("unpublish: %v (see kmsdns unpublish --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("unpublish: unexpected argument %q", c.Args().First())
			}
			return runUpdate(c, e, a, true)
		},
	}
}

// loadUpdatePlan reads the config and merges the flags.
func loadUpdatePlan(e env, a *updateArgs) (*config.UpdatePlan, error) {
	if a.output != "table" && a.output != "json" {
		return nil, usageError("--output: %q is not table or json", a.output)
	}
	var file *config.File
	if a.configFile != "" {
		var err error
		if file, err = config.Load(a.configFile); err != nil {
			return nil, &codeError{code: exitUsage, err: err}
		}
	}
	a.flags.Zones = a.zones.Value()
	a.statePath = writeStatePath(a.statePath, file)
	plan, err := config.MergeUpdate(file, a.flags)
	if err != nil {
		return nil, &codeError{code: exitUsage, err: err}
	}
	for _, w := range plan.Warnings {
		e.warn(w)
	}
	return plan, nil
}

func runUpdate(c *cli.Context, e env, a updateArgs, remove bool) error {
	cmd := "publish"
	if remove {
		cmd = "unpublish"
	}
	if len(a.hosts.Value()) == 0 {
		return usageError("%s: --host is required (the KMS host's FQDN)", cmd)
	}
	if a.probeTimeout < 0 {
		return usageError("%s: --probe-timeout must be positive", cmd)
	}
	var hosts []string
	for _, h := range a.hosts.Value() {
		host, err := dnsx.CheckHost(h)
		if err != nil {
			return usageError("%s: %v", cmd, err)
		}
		hosts = append(hosts, host)
	}
	var recs []publish.Record
	if !remove {
		ttl := a.ttl
		if !c.IsSet("ttl") {
			ttl = -1 // the RRset's
		}
		for _, v := range []struct {
			flag          string
			val, max, min int
		}{{"--port", a.port, 65535, 1}, {"--ttl", ttl, 2147483647, 1}, {"--priority", a.priority, 65535, 0}, {"--weight", a.weight, 65535, 0}} {
			if (v.val < v.min || v.val > v.max) && !(v.flag == "--ttl" && v.val == -1) {
				return usageError("%s: %s %d is not between %d and %d", cmd, v.flag, v.val, v.min, v.max)
			}
		}
		var keep publish.Fields // a flag not given keeps the host's record
		for flag, f := range map[string]publish.Fields{"port": publish.FieldPort, "priority": publish.FieldPriority, "weight": publish.FieldWeight} {
			if !c.IsSet(flag) {
				keep |= f
			}
		}
		for _, h := range hosts {
			rec := publish.Record{Target: h, Port: uint16(a.port), TTL: uint32(max(ttl, 0)), Priority: uint16(a.priority), Weight: uint16(a.weight), Keep: keep}
			rec, err := rec.Check()
			if err != nil {
				return usageError("%s: %v", cmd, err)
			}
			recs = append(recs, rec)
		}
	}
	names := a.names.Value()
	for i, n := range names {
		if n == "@" {
			names[i] = ""
			continue
		}
		if err := config.CheckDomain(n); err != nil {
			return usageError("%s: --name: %v", cmd, err)
		}
	}
	a.flags.ProbeTimeout = a.probeTimeout
	plan, err := loadUpdatePlan(e, &a)
	if err != nil {
		return err
	}
	targets, cl, done, err := openUpdates(c, e, plan)
	if err != nil {
		return err
	}
	defer done()
	var plans []*publish.ZonePlan
	if remove {
		plans = cl.PlanUnpublishAll(c.Context, targets, names, hosts, a.force)
	} else {
		plans = cl.PlanPublishAll(c.Context, targets, names, recs)
		heedHosts(c.Context, a, plan, targets, plans)
	}
	if c.Context.Err() != nil {
		return &codeError{code: exitErrors, err: fmt.Errorf("%s: interrupted before anything was sent: nothing changed", cmd)}
	}
	if a.dryRun {
		if err := renderPlans(e.stdout, a.output, plans); err != nil {
			return &codeError{code: exitErrors, err: err}
		}
		return planCode(plans)
	}
	results := cl.Apply(c.Context, plans)
	if remove {
		rememberRemoved(c, e, a.statePath, plans, results)
	} else {
		forgetRepublished(c, e, a.statePath, plans, results)
	}
	if err := renderResults(e.stdout, a.output, results, a.verbose); err != nil {
		return &codeError{code: exitErrors, err: err}
	}
	if a.output == "table" {
		recordLines(e.stdout, recs, results)
	}
	return resultCode(results)
}

// openUpdates finds the primaries, builds the signers and a client; done
// deletes GSS contexts and closes connections.
func openUpdates(c *cli.Context, e env, plan *config.UpdatePlan) ([]publish.Primary, *publish.Client, func(), error) {
	targets, closeSigners, err := publish.OpenPrimaries(c.Context, plan.Settings)
	if err != nil {
		return nil, nil, nil, &codeError{code: exitErrors, err: err}
	}
	cl := publish.NewClient(publish.Options{Timeout: plan.Timeout})
	done := func() {
		cl.Close()
		if err := closeSigners(); err != nil {
			fmt.Fprintln(e.stderr, "kmsdns: warning:", err)
		}
	}
	return targets, cl, done, nil
}
