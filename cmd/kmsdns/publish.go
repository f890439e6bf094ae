package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
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
		&cli.IntFlag{Name: "port", Value: publish.DefaultPort, Usage: "`PORT` the KMS host listens on", Destination: &a.port},
		&cli.IntFlag{Name: "ttl", Usage: "record `TTL` in seconds; an RRset has one TTL, so this sets it for the name's other records too", DefaultText: "the TTL of the records already there, 3600 for a new name", Destination: &a.ttl},
		&cli.IntFlag{Name: "priority", Usage: "SRV `PRIORITY`: clients (Windows 7 and later) try the lowest first, e.g. 0 for the primary and 10 for a standby", Destination: &a.priority},
		&cli.IntFlag{Name: "weight", Usage: "SRV `WEIGHT`: shares the load between hosts of one priority (0 beside non-zero weights: almost never picked)", Destination: &a.weight},
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
--name (the apex without --name), in one UPDATE message per zone. A record
that already exists as asked is left alone; one for the same host with
another port, TTL, priority or weight is replaced in the same message.
An RRset has one TTL (RFC 2181 5.2): without --ttl the record takes the TTL
of the records already there; a --ttl that differs changes theirs too, and
the plan says so. Each host is resolved and probed on its KMS port first; a
host that does not answer is a warning (--require-live: a refusal,
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
		host, err := publish.CheckHost(h)
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
			flag     string
			val, max int
			min      int
		}{{"--port", a.port, 65535, 1}, {"--ttl", ttl, 2147483647, 1}, {"--priority", a.priority, 65535, 0}, {"--weight", a.weight, 65535, 0}} {
			if (v.val < v.min || v.val > v.max) && !(v.flag == "--ttl" && v.val == -1) {
				return usageError("%s: %s %d is not between %d and %d", cmd, v.flag, v.val, v.min, v.max)
			}
		}
		for _, h := range hosts {
			rec := publish.Record{Host: h, Port: uint16(a.port), TTL: uint32(max(ttl, 0)), Priority: uint16(a.priority), Weight: uint16(a.weight)}
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
		if err := config.CheckHost(n); err != nil {
			return usageError("%s: --name: %v", cmd, err)
		}
	}
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
		var prober resolve.Prober
		if !a.noProbe {
			prober = probe.Prober{Timeout: a.probeTimeout}
		}
		checks := publish.CheckHosts(c.Context, targets, recs, &resolve.TargetResolver{Resolver: plan.Resolver, Timeout: plan.Timeout}, prober)
		publish.Heed(plans, checks, a.requireLive)
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

// recordLines says, per host published, the record as sent: the TTL is
// the one the plan chose (the RRset's when --ttl was not given).
func recordLines(w io.Writer, recs []publish.Record, results []publish.Result) {
	for _, rec := range recs {
		ttl := rec.TTL
	find:
		for _, r := range results {
			for _, c := range r.Changes {
				if c.Record.Target == rec.Host {
					ttl = c.Record.TTL
					break find
				}
			}
		}
		fmt.Fprintf(w, "record: SRV priority %d, weight %d, port %d, target %s, TTL %d\n", rec.Priority, rec.Weight, rec.Port, short(rec.Host), ttl)
	}
}

// writeStatePath is the state file publish and unpublish keep: --state,
// else the config's defaults.state, else the default file when it exists
// (a run that was not told of a state file does not create one).
func writeStatePath(flag string, file *config.File) string {
	if flag != "" || (file != nil && file.Defaults.State != "") {
		return statePath(flag, file)
	}
	path := cleanup.DefaultStatePath()
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}

// forgetRepublished drops from cleanup's state the records published again
// on purpose, so that audit does not report them as reappeared.
func forgetRepublished(c *cli.Context, e env, path string, plans []*publish.ZonePlan, results []publish.Result) {
	if path == "" {
		return
	}
	var recs []zone.Record
	for i, r := range results {
		if r.Err != nil || plans[i].Blocked {
			continue
		}
		for _, ch := range plans[i].Changes {
			if ch.Action != publish.ActionRemoved && ch.Action != publish.ActionNotPresent {
				recs = append(recs, ch.Record)
			}
		}
		recs = append(recs, plans[i].Add...)
	}
	if _, err := cleanup.Forget(c.Context, path, recs); err != nil {
		fmt.Fprintln(e.stderr, "kmsdns: warning:", err)
	}
}

// rememberRemoved records in cleanup's state what unpublish removed, so a
// later audit reports the records if they come back.
func rememberRemoved(c *cli.Context, e env, path string, plans []*publish.ZonePlan, results []publish.Result) {
	if path == "" {
		return
	}
	var removed []audit.Removed
	for i, r := range results {
		if r.Err != nil || plans[i].Empty() {
			continue
		}
		for _, d := range plans[i].Delete {
			removed = append(removed, audit.Removed{Zone: d.Zone, Name: d.Name, TTL: d.TTL, Priority: d.Priority, Weight: d.Weight,
				Port: d.Port, Target: d.Target, Server: r.Server, RemovedAt: e.now().UTC()})
		}
	}
	if len(removed) == 0 {
		return
	}
	st := &cleanup.StateStore{Path: path, Now: e.now, Notice: func(msg string) { fmt.Fprintln(e.stderr, "kmsdns: warning:", msg) }}
	if err := st.Update(c.Context, func(s *cleanup.State) { s.Remember(removed...) }); err != nil {
		fmt.Fprintln(e.stderr, "kmsdns: warning: removed records not remembered:", err)
	}
}

// openUpdates finds the primaries, builds the signers and a client; done
// deletes GSS contexts and closes connections.
func openUpdates(c *cli.Context, e env, plan *config.UpdatePlan) ([]publish.Target, *publish.Client, func(), error) {
	targets, closeSigners, err := publish.OpenTargets(c.Context, plan.Settings)
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

// planCode fails a dry run whose plans could not be made or are blocked.
func planCode(plans []*publish.ZonePlan) error {
	for _, p := range plans {
		if p.Err != nil || p.Blocked {
			return &codeError{code: exitErrors}
		}
	}
	return nil
}

// resultCode is 0 only if every zone succeeded.
func resultCode(results []publish.Result) error {
	for _, r := range results {
		if r.Err != nil || r.Action == publish.ActionFailed || r.Action == publish.ActionSkipped {
			return &codeError{code: exitErrors}
		}
	}
	return nil
}

// jsonChange is one record of a plan or result.
type jsonChange struct {
	Action   string `json:"action"`
	Planned  string `json:"planned,omitempty"`
	Name     string `json:"name"`
	Target   string `json:"target"`
	Port     uint16 `json:"port"`
	Priority uint16 `json:"priority"`
	Weight   uint16 `json:"weight"`
	TTL      uint32 `json:"ttl"`
}

func jsonChanges(cs []publish.Change, dryRun bool) []jsonChange {
	out := []jsonChange{}
	for _, c := range cs {
		jc := jsonChange{Action: string(c.Action), Name: c.Record.Name, Target: c.Record.Target, Port: c.Record.Port,
			Priority: c.Record.Priority, Weight: c.Record.Weight, TTL: c.Record.TTL}
		if dryRun {
			jc.Planned = c.Action.Planned()
		}
		out = append(out, jc)
	}
	return out
}

type jsonPlan struct {
	Zone        string       `json:"zone"`
	Server      string       `json:"server"`
	Action      string       `json:"action"`
	Note        string       `json:"note,omitempty"`
	Error       string       `json:"error,omitempty"`
	Blocked     bool         `json:"blocked,omitempty"`
	Update      string       `json:"update,omitempty"`
	Changes     []jsonChange `json:"changes"`
	Warnings    []string     `json:"warnings,omitempty"`
	Credentials string       `json:"credentials,omitempty"`
}

// renderPlans prints what a dry run would do: per record, and the exact
// UPDATE message per zone (ZonePlan.Text renders the message Apply sends).
func renderPlans(w io.Writer, format string, plans []*publish.ZonePlan) error {
	if format == "json" {
		out := struct {
			Version int        `json:"version"`
			DryRun  bool       `json:"dry_run"`
			Plans   []jsonPlan `json:"plans"`
		}{Version: 1, DryRun: true, Plans: []jsonPlan{}}
		for _, p := range plans {
			jp := jsonPlan{Zone: p.Zone, Server: p.Server, Action: string(p.Action), Note: p.Note, Blocked: p.Blocked,
				Changes: jsonChanges(p.Changes, true), Warnings: p.Warnings, Credentials: p.Credentials}
			if p.Err != nil {
				jp.Error = p.Err.Error()
			} else if !p.Empty() {
				jp.Update = p.Text()
			}
			out.Plans = append(out.Plans, jp)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	t := newTable(w)
	t.Header("ZONE", "NAME", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL", "ACTION")
	for _, p := range plans {
		if len(p.Changes) == 0 {
			t.Append([]string{short(p.Zone), "-", "-", "-", "-", "-", "-", p.Action.Planned()})
		}
		for _, c := range p.Changes {
			action := c.Action.Planned()
			if p.Blocked {
				action = publish.ActionSkipped.Planned() + " (" + string(c.Action) + ")"
			}
			t.Append(changeRow(p.Zone, c, action))
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, p := range plans {
		head := fmt.Sprintf("zone %s on %s: %s", short(p.Zone), p.Server, p.Action.Planned())
		if p.Err != nil {
			head += fmt.Sprintf(": %v", p.Err)
		}
		para(w, "", head, "  ")
		if p.Note != "" {
			para(w, "  ", p.Note, "  ")
		}
		for _, warn := range p.Warnings {
			para(w, "  ", "warning: "+warn, "  ")
		}
		if !p.Empty() {
			fmt.Fprint(w, indent(p.Text(), "  "))
		}
	}
	_, err := fmt.Fprintln(w, "dry run: nothing was sent")
	return err
}

func changeRow(zoneName string, c publish.Change, action string) []string {
	r := c.Record
	if c.Action == publish.ActionNotPresent {
		return []string{short(zoneName), short(r.Name), short(r.Target), "-", "-", "-", "-", action}
	}
	return []string{short(zoneName), short(r.Name), short(r.Target), fmt.Sprint(r.Port), fmt.Sprint(r.Priority), fmt.Sprint(r.Weight), fmt.Sprint(r.TTL), action}
}

func indent(s, pre string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(pre + l)
		}
	}
	return b.String()
}

type jsonResult struct {
	Zone         string       `json:"zone"`
	Server       string       `json:"server"`
	Action       string       `json:"action"`
	Answer       string       `json:"answer,omitempty"`
	Verified     bool         `json:"verified"`
	Note         string       `json:"note,omitempty"`
	Error        string       `json:"error,omitempty"`
	AnswerSigned bool         `json:"answer_signed"`
	Changes      []jsonChange `json:"changes"`
	Warnings     []string     `json:"warnings,omitempty"`
	Credentials  string       `json:"credentials,omitempty"`
	// AnswerSignature is "unverifiable" when the server's answer
	// signature did not verify and the read-back confirmed the change.
	AnswerSignature string `json:"answer_signature,omitempty"`
	// AnswerSignatureError is why it did not verify.
	AnswerSignatureError string `json:"answer_signature_error,omitempty"`
}

// renderResults prints what was done: per record (zone-level for plans
// without record changes), then errors, notes and warnings per zone;
// verbose adds why an answer's signature did not verify.
func renderResults(w io.Writer, format string, results []publish.Result, verbose bool) error {
	if format == "json" {
		out := struct {
			Version int          `json:"version"`
			Results []jsonResult `json:"results"`
		}{Version: 1, Results: []jsonResult{}}
		for _, r := range results {
			jr := jsonResult{Zone: r.Zone, Server: r.Server, Action: string(r.Action), Answer: r.Answer, Verified: r.Verified, Note: r.Note,
				AnswerSigned: r.AnswerSigned, Changes: jsonChanges(r.Changes, false), Warnings: r.Warnings, Credentials: r.Credentials}
			if r.Err != nil {
				jr.Error = r.Err.Error()
			}
			if r.Unverifiable != nil {
				jr.AnswerSignature, jr.AnswerSignatureError = "unverifiable", r.Unverifiable.Error()
			}
			out.Results = append(out.Results, jr)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	t := newTable(w)
	t.Header("ZONE", "NAME", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL", "ACTION", "ANSWER", "VERIFIED")
	for _, r := range results {
		verified := "-"
		if r.Verified {
			verified = "yes"
		}
		if len(r.Changes) == 0 {
			t.Append([]string{short(r.Zone), "-", "-", "-", "-", "-", "-", string(r.Action), r.Answer, verified})
		}
		for _, c := range r.Changes {
			action := string(c.Action)
			if r.Action == publish.ActionFailed || r.Action == publish.ActionSkipped {
				action = string(r.Action) + " (" + action + ")"
			}
			t.Append(append(changeRow(r.Zone, c, action), r.Answer, verified))
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, r := range results {
		switch {
		case r.Err != nil:
			para(w, "", fmt.Sprintf("%s: %v", short(r.Zone), r.Err), "  ")
		case r.Note != "":
			para(w, "", fmt.Sprintf("%s: %s", short(r.Zone), r.Note), "  ")
		}
		if verbose && r.Unverifiable != nil {
			para(w, "", fmt.Sprintf("%s: %v", short(r.Zone), r.Unverifiable), "  ")
		}
		for _, warn := range r.Warnings {
			para(w, "", fmt.Sprintf("%s: warning: %s", short(r.Zone), warn), "  ")
		}
	}
	renderUnverifiable(w, results)
	return nil
}

// renderUnverifiable says once per server that its answers could not be
// verified and the read-back confirmed each change instead.
func renderUnverifiable(w io.Writer, results []publish.Result) {
	seen := map[string]bool{}
	for _, r := range results {
		if r.Unverifiable == nil || seen[r.Server] {
			continue
		}
		seen[r.Server] = true
		para(w, "", r.Server+" signs its answers in a way that cannot be verified (known of Windows DNS and Samba), so each change was confirmed by reading it back.", "")
	}
}

// runRestore puts back the records of a cleanup backup.
func runRestore(c *cli.Context, e env, a updateArgs) error {
	if len(a.hosts.Value()) > 0 || len(a.names.Value()) > 0 {
		return usageError("publish: --from-file restores the records in the file; it takes no --host or --name")
	}
	f, err := os.Open(a.fromFile)
	if err != nil {
		return usageError("publish: --from-file: %v", err)
	}
	b, err := publish.ReadBackup(f, a.fromFile)
	f.Close()
	if err != nil {
		return usageError("publish: %v", err)
	}
	if len(a.zones.Value()) > 0 {
		return usageError("publish: --from-file takes its zones from the file; no --zone")
	}
	for _, z := range b.Zones {
		a.zones.Set(z.Zone)
	}
	plan, err := loadUpdatePlan(e, &a)
	if err != nil {
		return err
	}
	for i := range plan.Targets {
		if plan.Targets[i].Server == "" {
			plan.Targets[i].Server = b.Zones[i].Server
		}
	}
	targets, cl, done, err := openUpdates(c, e, plan)
	if err != nil {
		return err
	}
	defer done()
	plans := cl.PlanRestoreFrom(c.Context, b, targets)
	for _, p := range plans {
		p.Changes = p.RecordChanges() // the result table shows each record
	}
	if a.dryRun {
		if err := renderPlans(e.stdout, a.output, plans); err != nil {
			return &codeError{code: exitErrors, err: err}
		}
		return planCode(plans)
	}
	results := cl.Apply(c.Context, plans)
	forgetRepublished(c, e, a.statePath, plans, results)
	if err := renderResults(e.stdout, a.output, results, a.verbose); err != nil {
		return &codeError{code: exitErrors, err: err}
	}
	return resultCode(results)
}
