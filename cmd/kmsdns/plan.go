package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/converge"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/publish"
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
	keyName      string // --key-name: a key of the key file the config names
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
		tsigFlags(tsigDest{KeyName: &a.keyName})[0],
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
	targets []publish.Primary
	cl      *publish.Client
	done    func()
	uplan   *config.UpdatePlan
	// configFile is the config file as given.
	configFile string
	// applyHint is the kmsdns apply command that sends this plan: every
	// flag that shaped it, repeated.
	applyHint string
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
	cv := &converging{file: file, desired: dz, configFile: a.configFile, applyHint: applyHint(a)}
	var names []string
	for _, d := range dz {
		names = append(names, d.Zone.Name)
	}
	cv.uplan, err = config.MergeUpdate(file, config.UpdateFlags{Zones: names, Resolver: a.resolver, Timeout: a.timeout, Update: config.Update{KeyName: a.keyName}})
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
				cn.Records = append(cn.Records, publish.Record{Target: h.Host, Port: h.Port, Priority: h.Priority, Weight: h.Weight, TTL: h.TTL})
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

// applyHint is the kmsdns apply command that plans exactly what this
// plan showed: the config and every flag given that shapes a plan (the
// zones, the key, the resolver, the timeouts, probing). The config path
// stays as given: the command runs where plan ran.
func applyHint(a convergeArgs) string {
	args := []string{"kmsdns", "apply", "--config", shellQuote(a.configFile)}
	for _, z := range a.zones.Value() {
		args = append(args, "--zone", shellQuote(z))
	}
	for _, f := range []struct{ flag, val string }{{"--key-name", a.keyName}, {"--resolver", a.resolver}} {
		if f.val != "" {
			args = append(args, f.flag, shellQuote(f.val))
		}
	}
	for _, f := range []struct {
		flag string
		val  time.Duration
	}{{"--timeout", a.timeout}, {"--probe-timeout", a.probeTimeout}} {
		if f.val != 0 {
			args = append(args, f.flag, f.val.String())
		}
	}
	if a.noProbe {
		args = append(args, "--no-probe")
	}
	return strings.Join(args, " ")
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
		doc.ExitCode = codeOf(err)
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
