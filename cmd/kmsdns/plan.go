package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/converge"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/urfave/cli/v2"
)

// convergeArgs holds everything plan and apply need, independently of
// the CLI.
type convergeArgs struct {
	configFile   string
	zones        cli.StringSlice
	resolver     string
	timeout      time.Duration
	probeTimeout time.Duration
	noProbe      bool
	output       string
	writeDesired bool
	publishList  bool
	// apply only
	yes       bool
	force     bool
	backup    string
	statePath string
}

// convergeFlags are the flags plan and apply share.
func convergeFlags(a *convergeArgs) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "YAML configuration `FILE` whose zones have a desired: section (required)", Destination: &a.configFile},
		&cli.StringSliceFlag{Name: "zone", Aliases: []string{"z"}, Usage: "only zone `NAME` (repeatable; default: every zone with a desired state)", Destination: &a.zones},
		resolverFlag(&a.resolver, "used to find primaries and to look up hosts outside the zones"),
		timeoutFlag(&a.timeout, "how long to wait for each answer"),
		probeTimeoutFlag(&a.probeTimeout),
		&cli.BoolFlag{Name: "no-probe", Usage: "do not connect to KMS hosts (still resolve them): a host is live when it resolves", Destination: &a.noProbe},
		outputFlag(&a.output, "plan and result (json: one document on stdout)"),
	}
}

func planCommand(e env) *cli.Command {
	var a convergeArgs
	return &cli.Command{
		Name:      "plan",
		Usage:     "show how the zones differ from the desired KMS records of the config; change nothing",
		UsageText: "kmsdns plan --config FILE [--zone NAME]... [--publish-list] [--write-desired] [options]",
		Description: `Reads every name listed under a zone's desired: section from the zone's
primary, resolves and probes every KMS host there now and desired, and shows
per zone and name what kmsdns apply would add, remove or replace (another
port, priority, weight or TTL), what clients see before and after, and the
UPDATE message apply would send. Names not listed under desired: are not
managed and never read or changed. A zone without desired: takes that of the
zones of its policy.publish-groups.

A plan that would leave a managed name with no live KMS host (every desired
host fails its probe, or an empty list) is unsafe: kmsdns apply refuses it
unless --force.

--write-desired prints the config file with each zone's desired: section set
to the records there now (comments kept): the way to adopt kmsdns apply
without retyping the zones. --publish-list prints, per KMS host, the
DnsDomainPublishList value that would make the host register the same
records itself.

Exit codes: 0 in sync, 1 changes pending, 2 a zone could not be read or the
plan is unsafe, 3 bad usage or config.

Examples:
   kmsdns plan --config /etc/kmsdns/kmsdns.yaml
   kmsdns plan --config kmsdns.yaml --output json > plan.json     # in CI, on a pull request
   kmsdns plan --config kmsdns.yaml --write-desired > kmsdns.new.yaml
   kmsdns plan --config kmsdns.yaml --publish-list`,
		Flags: append(convergeFlags(&a),
			&cli.BoolFlag{Name: "write-desired", Usage: "print the config with every zone's desired: set to the records there now", Destination: &a.writeDesired},
			&cli.BoolFlag{Name: "publish-list", Usage: "print each KMS host's DnsDomainPublishList value (domain,priority,weight entries)", Destination: &a.publishList},
		),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("plan: %v (see kmsdns plan --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("plan: unexpected argument %q", c.Args().First())
			}
			if a.writeDesired {
				return runWriteDesired(c, e, a)
			}
			return runConverge(c, e, a, false)
		},
	}
}

// converging is a loaded config and its desired zones.
type converging struct {
	file    *config.File
	desired []config.DesiredZone
	zones   []converge.Zone
	targets []publish.Target
	cl      *publish.Client
	done    func()
	uplan   *config.UpdatePlan
	// configFile is the config file as given.
	configFile string
}

// loadConverge reads the config and its desired zones (restricted to
// --zone), and opens the update client.
func loadConverge(c *cli.Context, e env, a convergeArgs, cmd string) (*converging, error) {
	if a.output != "table" && a.output != "json" {
		return nil, usageError("%s: --output: %q is not table or json", cmd, a.output)
	}
	if a.configFile == "" {
		return nil, usageError("%s: --config is required (the desired state is in the config file)", cmd)
	}
	file, err := config.Load(a.configFile)
	if err != nil {
		return nil, &codeError{code: exitUsage, err: err}
	}
	dz, err := file.DesiredZones()
	if errors.Is(err, config.ErrNoDesired) {
		return nil, usageError("%s: %v: add one per zone (kmsdns plan --config %s --write-desired prints the config with the records there now)", cmd, err, a.configFile)
	}
	if err != nil {
		return nil, &codeError{code: exitUsage, err: err}
	}
	if only := a.zones.Value(); len(only) > 0 {
		var keep []config.DesiredZone
		for _, z := range only {
			i := slices.IndexFunc(dz, func(d config.DesiredZone) bool { return strings.EqualFold(short(d.Zone.Name), short(z)) })
			if i < 0 {
				var names []string
				for _, d := range dz {
					names = append(names, short(d.Zone.Name))
				}
				return nil, usageError("%s: --zone %s: no desired state for it in %s (zones with one: %s)", cmd, z, a.configFile, strings.Join(names, ", "))
			}
			keep = append(keep, dz[i])
		}
		dz = keep
	}
	cv := &converging{file: file, desired: dz, configFile: a.configFile}
	var names []string
	for _, d := range dz {
		names = append(names, d.Zone.Name)
	}
	cv.uplan, err = config.MergeUpdate(file, config.UpdateFlags{Zones: names, Resolver: a.resolver, Timeout: a.timeout})
	if err != nil {
		return nil, &codeError{code: exitUsage, err: err}
	}
	for _, w := range cv.uplan.Warnings {
		e.warn(w)
	}
	cv.targets, cv.cl, cv.done, err = openUpdates(c, e, cv.uplan)
	if err != nil {
		return nil, err
	}
	for i, d := range dz {
		z := converge.Zone{Target: cv.targets[i]}
		for _, n := range d.Names {
			cn := converge.Name{Owner: n.Owner}
			for _, h := range n.Hosts {
				cn.Records = append(cn.Records, publish.Record{Host: h.Host, Port: h.Port, Priority: h.Priority, Weight: h.Weight, TTL: h.TTL})
			}
			z.Names = append(z.Names, cn)
		}
		cv.zones = append(cv.zones, z)
	}
	return cv, nil
}

// convergePlan reads the zones, checks the hosts and guards the plan.
func convergePlan(c *cli.Context, cv *converging, a convergeArgs) (*converge.Plan, error) {
	plan := converge.New(c.Context, cv.cl, cv.zones)
	var prober resolve.Prober
	if !a.noProbe && !cv.file.Defaults.NoProbe {
		prober = probe.Prober{Timeout: first(a.probeTimeout, time.Duration(cv.file.Defaults.ProbeTimeout))}
	}
	plan.Check(c.Context, cv.targets, &resolve.TargetResolver{Resolver: cv.uplan.Resolver, Timeout: cv.uplan.Timeout}, prober)
	return plan, plan.Guard(a.force)
}

func first(a, b time.Duration) time.Duration {
	if a != 0 {
		return a
	}
	return b
}

// runConverge is kmsdns plan and, with apply, kmsdns apply.
func runConverge(c *cli.Context, e env, a convergeArgs, apply bool) error {
	cmd := "plan"
	if apply {
		cmd = "apply"
	}
	doc := &convergeDoc{Version: 1, Command: cmd, Zones: []jsonConvergeZone{}, Hosts: []jsonHostCheck{}, Unsafe: []string{},
		PublishList: []jsonPublishEntry{}, Results: []jsonCleanupResult{}, Drift: []string{}}
	human := e.stdout
	if a.output == "json" {
		human = e.stderr
	}
	emit := func(err error) error {
		if a.output != "json" {
			return err
		}
		var ce *codeError
		if err != nil && (!errors.As(err, &ce) || ce.err != nil) {
			doc.Error = err.Error()
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(doc); jerr != nil {
			return &codeError{code: exitErrors, err: jerr}
		}
		return err
	}
	cv, err := loadConverge(c, e, a, cmd)
	if err != nil {
		return emit(err)
	}
	defer cv.done()
	plan, guardErr := convergePlan(c, cv, a)
	if c.Context.Err() != nil {
		return emit(&codeError{code: exitErrors, err: fmt.Errorf("%s: interrupted: %w", cmd, c.Context.Err())})
	}
	fillConvergeDoc(doc, cv, plan)
	renderConvergePlan(human, cv, plan, apply)
	if a.publishList {
		renderPublishList(human, doc.PublishList)
	}
	if !apply {
		switch {
		case plan.Failed():
			return emit(&codeError{code: exitErrors, err: errors.New("plan: some zones could not be read")})
		case guardErr != nil:
			return emit(&codeError{code: exitErrors, err: fmt.Errorf("plan: %w: kmsdns apply would refuse it without --force", guardErr)})
		case !plan.InSync():
			return emit(&codeError{code: exitWarnings})
		}
		return emit(nil)
	}
	return emit(applyPlan(c, e, a, cv, plan, guardErr, doc, human))
}

// renderConvergePlan prints the plan: per zone, the record changes, then
// per name what clients see before and after, and the UPDATE message.
func renderConvergePlan(w io.Writer, cv *converging, plan *converge.Plan, apply bool) {
	t := newTable(w)
	t.Header("ZONE", "OWNER", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL", "ACTION", "WAS")
	for _, z := range plan.Zones {
		for _, n := range z.Names {
			for _, ch := range n.Changes {
				r := ch.Record
				var was []string
				for _, o := range ch.Was {
					was = append(was, fmt.Sprintf("%d %d %d ttl %d", o.Port, o.Priority, o.Weight, o.TTL))
				}
				action := string(ch.Action)
				if ch.Action != publish.ActionAlreadyPresent {
					action = ch.Action.Planned()
				}
				if ch.Action == publish.ActionAlreadyPresent {
					action = "in sync"
				}
				t.Append([]string{short(z.Zone), short(n.Owner), short(r.Target), fmt.Sprint(r.Port), fmt.Sprint(r.Priority), fmt.Sprint(r.Weight), fmt.Sprint(r.TTL), action, strings.Join(was, "; ")})
			}
			if len(n.Changes) == 0 {
				t.Append([]string{short(z.Zone), short(n.Owner), "-", "-", "-", "-", "-", "in sync (no record)", ""})
			}
		}
	}
	t.Render()
	live := plan.Live
	for i, z := range plan.Zones {
		fmt.Fprintf(w, "\nzone %s on %s (desired: %s)\n", short(z.Zone), z.Server, cv.desired[i].From)
		if z.Err != nil {
			fmt.Fprintf(w, "  could not be read: %v\n", z.Err)
			continue
		}
		fmt.Fprintf(w, "  %s\n", z.Note)
		for _, n := range z.Names {
			if n.InSync() {
				fmt.Fprintf(w, "  %s: in sync; clients see: %s\n", short(n.Owner), converge.ClientView(n.Before, live))
				continue
			}
			fmt.Fprintf(w, "  %s\n    clients see now:   %s\n    clients see after: %s\n", short(n.Owner), converge.ClientView(n.Before, live), converge.ClientView(n.After, live))
		}
		if !z.Empty() || z.Blocked {
			fmt.Fprint(w, indent(z.Text(), "  "))
		}
	}
	if len(plan.Unsafe) > 0 {
		fmt.Fprintln(w, "\nUnsafe:")
		for _, u := range plan.Unsafe {
			fmt.Fprintf(w, "  %s\n", u)
		}
		if plan.Forced {
			fmt.Fprintln(w, "  --force: applied anyway")
		} else {
			fmt.Fprintln(w, "  kmsdns apply refuses this plan unless --force")
		}
	}
	if !plan.Probed {
		fmt.Fprintln(w, "\nHosts were not probed (--no-probe): a host counts as live when it resolves.")
	}
	switch {
	case plan.InSync():
		fmt.Fprintln(w, "\nin sync: every managed name holds exactly its desired records")
	case !apply && len(plan.Unsafe) == 0:
		changes := 0
		for _, z := range plan.Zones {
			if !z.InSync() && z.Err == nil {
				changes++
			}
		}
		fmt.Fprintf(w, "\n%d zone(s) with changes; kmsdns apply --config %s sends them (plan changed nothing)\n", changes, shellQuote(cv.configFile))
	}
}

// renderPublishList prints the DnsDomainPublishList value per host.
func renderPublishList(w io.Writer, list []jsonPublishEntry) {
	fmt.Fprintln(w, "\nDnsDomainPublishList per KMS host (REG_MULTI_SZ under HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SoftwareProtectionPlatform):")
	for _, p := range list {
		fmt.Fprintf(w, "  %s: %s\n", p.Host, strings.Join(p.Entries, " "))
		fmt.Fprintf(w, "    %s\n", p.Command)
		for _, n := range p.Notes {
			fmt.Fprintf(w, "    note: %s\n", n)
		}
	}
}

// convergeDoc is plan's and apply's one JSON document (schema version 1).
type convergeDoc struct {
	Version     int                 `json:"version"`
	Command     string              `json:"command"`
	InSync      bool                `json:"in_sync"`
	Unsafe      []string            `json:"unsafe"`
	Forced      bool                `json:"forced,omitempty"`
	Probed      bool                `json:"probed"`
	Zones       []jsonConvergeZone  `json:"zones"`
	Hosts       []jsonHostCheck     `json:"hosts"`
	PublishList []jsonPublishEntry  `json:"publish_list"`
	Backup      string              `json:"backup,omitempty"`
	Restore     string              `json:"restore,omitempty"`
	Results     []jsonCleanupResult `json:"results"`
	Interrupted bool                `json:"interrupted,omitempty"`
	StateError  string              `json:"state_error,omitempty"`
	// Verified: after apply, every managed name was read again and holds
	// exactly its desired records; Drift lists what does not.
	Verified bool     `json:"verified"`
	Drift    []string `json:"drift"`
	Error    string   `json:"error,omitempty"`
}

type jsonConvergeZone struct {
	Zone     string             `json:"zone"`
	Server   string             `json:"server"`
	Desired  string             `json:"desired_from"`
	Action   string             `json:"action"`
	InSync   bool               `json:"in_sync"`
	Blocked  bool               `json:"blocked,omitempty"`
	Note     string             `json:"note,omitempty"`
	Error    string             `json:"error,omitempty"`
	Update   string             `json:"update,omitempty"`
	Names    []jsonConvergeName `json:"names"`
	Warnings []string           `json:"warnings,omitempty"`
}

type jsonConvergeName struct {
	Name          string               `json:"name"`
	InSync        bool                 `json:"in_sync"`
	Before        []jsonRecord         `json:"before"`
	After         []jsonRecord         `json:"after"`
	ClientsBefore string               `json:"clients_before"`
	ClientsAfter  string               `json:"clients_after"`
	Changes       []jsonConvergeChange `json:"changes"`
	Unsafe        string               `json:"unsafe,omitempty"`
}

type jsonConvergeChange struct {
	jsonChange
	Was []jsonRecord `json:"was,omitempty"`
}

type jsonHostCheck struct {
	Host       string `json:"host"`
	Port       uint16 `json:"port"`
	Live       bool   `json:"live"`
	Resolution string `json:"resolution"`
	Probe      string `json:"probe,omitempty"`
	Warning    string `json:"warning,omitempty"`
}

type jsonPublishEntry struct {
	Host    string   `json:"host"`
	Entries []string `json:"entries"`
	Value   string   `json:"value"`
	Command string   `json:"command"`
	Notes   []string `json:"notes,omitempty"`
}

func jsonRecs(rs []zone.Record) []jsonRecord {
	out := []jsonRecord{}
	for _, r := range rs {
		out = append(out, jsonRec(r))
	}
	return out
}

// fillConvergeDoc puts the plan into the JSON document.
func fillConvergeDoc(doc *convergeDoc, cv *converging, plan *converge.Plan) {
	doc.InSync, doc.Forced, doc.Probed = plan.InSync(), plan.Forced, plan.Probed
	doc.Unsafe = append(doc.Unsafe, plan.Unsafe...)
	for i, z := range plan.Zones {
		jz := jsonConvergeZone{Zone: z.Zone, Server: z.Server, Desired: cv.desired[i].From, Action: string(z.Action), InSync: z.InSync(),
			Blocked: z.Blocked, Note: z.Note, Names: []jsonConvergeName{}, Warnings: z.Warnings}
		if z.Err != nil {
			jz.Error = z.Err.Error()
		} else if !z.Empty() || z.Blocked {
			jz.Update = z.Text()
		}
		for _, n := range z.Names {
			jn := jsonConvergeName{Name: n.Owner, InSync: n.InSync(), Before: jsonRecs(n.Before), After: jsonRecs(n.After),
				ClientsBefore: converge.ClientView(n.Before, plan.Live), ClientsAfter: converge.ClientView(n.After, plan.Live),
				Changes: []jsonConvergeChange{}, Unsafe: n.Unsafe}
			for _, ch := range n.Changes {
				jc := jsonConvergeChange{jsonChange: jsonChanges([]publish.Change{ch}, false)[0]}
				if ch.Action != publish.ActionAlreadyPresent {
					jc.Planned = ch.Action.Planned()
				}
				for _, w := range ch.Was {
					jc.Was = append(jc.Was, jsonRec(w))
				}
				jn.Changes = append(jn.Changes, jc)
			}
			jz.Names = append(jz.Names, jn)
		}
		doc.Zones = append(doc.Zones, jz)
	}
	for _, h := range plan.Hosts {
		jh := jsonHostCheck{Host: h.Host, Port: h.Port, Live: h.Live(), Resolution: string(h.Resolution.Status), Warning: h.Warning()}
		if h.Probed {
			jh.Probe = string(h.Probe.Status)
		}
		doc.Hosts = append(doc.Hosts, jh)
	}
	for _, p := range converge.PublishList(cv.zones) {
		doc.PublishList = append(doc.PublishList, jsonPublishEntry{Host: p.Host, Entries: p.Entries, Value: p.Value(), Command: p.Command(), Notes: p.Notes})
	}
}

// runWriteDesired prints the config with every zone's desired: section
// set to the KMS records the zone holds now, read as audit reads them.
func runWriteDesired(c *cli.Context, e env, a convergeArgs) error {
	if a.output != "table" {
		return usageError("plan: --write-desired prints YAML; it takes no --output")
	}
	if a.configFile == "" {
		return usageError("plan: --write-desired needs --config (it prints that file with desired: filled in)")
	}
	src, err := os.ReadFile(a.configFile)
	if err != nil {
		return usageError("plan: %v", err)
	}
	file, err := config.Load(a.configFile)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	managed := map[string][]config.DesiredName{}
	if dz, err := file.DesiredZones(); err == nil {
		for _, d := range dz {
			managed[d.Zone.Name] = d.Names
		}
	} else if !errors.Is(err, config.ErrNoDesired) {
		return &codeError{code: exitUsage, err: err}
	}
	var zones []string
	for _, z := range file.Zones {
		if z.Name != "" && len(z.Files) == 0 && (len(a.zones.Value()) == 0 || slices.ContainsFunc(a.zones.Value(), func(s string) bool { return strings.EqualFold(short(s), short(z.Name)) })) {
			zones = append(zones, z.Name)
		}
	}
	if len(zones) == 0 {
		return usageError("plan: --write-desired: no zone on a server in %s", a.configFile)
	}
	rp, err := config.Merge(file, config.Flags{Zones: zones, Resolver: a.resolver, Timeout: a.timeout})
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	for _, w := range rp.Warnings {
		e.warn(w)
	}
	for i := range rp.Specs {
		for _, n := range managed[zones[i]] {
			if n.Name != "@" {
				rp.Specs[i].Names = append(rp.Specs[i].Names, n.Name)
			}
		}
	}
	results := zone.ReadAll(c.Context, rp.Specs, rp.Options)
	out := map[string][]config.DesiredName{}
	for i, r := range results {
		if r.Err != nil {
			return &codeError{code: exitErrors, err: fmt.Errorf("plan: --write-desired: zone %s could not be read: %w (nothing printed)", short(zones[i]), r.Err)}
		}
		out[r.Zone] = desiredNow(r, managed[zones[i]])
	}
	b, err := config.WriteDesired(src, a.configFile, out)
	if err != nil {
		return &codeError{code: exitErrors, err: err}
	}
	_, err = e.stdout.Write(b)
	return err
}

// desiredNow is the desired: section of the records a zone holds: for a
// zone with a desired state, its managed names only; for the others,
// every name with KMS records.
func desiredNow(r *zone.Result, managed []config.DesiredName) []config.DesiredName {
	var out []config.DesiredName
	index := map[string]int{}
	add := func(owner string) int {
		if i, ok := index[owner]; ok {
			return i
		}
		domain := strings.TrimPrefix(owner, zone.KMSService)
		name := "@"
		if domain != r.Zone {
			name = strings.TrimSuffix(domain, "."+r.Zone)
		}
		index[owner] = len(out)
		out = append(out, config.DesiredName{Name: name, Domain: domain, Owner: owner})
		return len(out) - 1
	}
	for _, m := range managed {
		add(m.Owner)
	}
	for _, rec := range r.Records {
		i, ok := index[rec.Name]
		if !ok {
			if len(managed) > 0 {
				continue // not managed: left out
			}
			i = add(rec.Name)
		}
		if slices.ContainsFunc(out[i].Hosts, func(h config.DesiredHost) bool { return h.Host == rec.Target }) {
			continue // the same host twice (another port): one record per host is desired
		}
		out[i].Hosts = append(out[i].Hosts, config.DesiredHost{Host: rec.Target, Port: rec.Port, Priority: rec.Priority, Weight: rec.Weight, TTL: rec.TTL})
	}
	return out
}
