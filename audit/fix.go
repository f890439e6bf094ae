package audit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
)

// Command is a kmsdns command line a finding suggests, as data: the
// program name and its arguments, exactly as a person runs them. Its
// String form is what the report prints, so what is printed is what runs.
// Commands name no server or credential: the person adds their own
// (--server, --key-file, --gss, or --config).
type Command []string

// String renders the command for a POSIX shell, quoting arguments that
// need it.
func (c Command) String() string {
	parts := make([]string, len(c))
	for i, a := range c {
		parts[i] = shellQuote(a)
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// relName is the --name argument for owner (a _vlmcs._tcp name) in
// zoneName: "" at the apex, the domain relative to the zone below it. ok
// is false when owner is not in zoneName.
func relName(owner, zoneName string) (name string, ok bool) {
	domain := strings.TrimPrefix(owner, zone.KMSService)
	switch {
	case domain == zoneName:
		return "", true
	case strings.HasSuffix(domain, "."+zoneName):
		return strings.TrimSuffix(domain, "."+zoneName), true
	}
	return "", false
}

// unnameable is why a command cannot name owner in zoneName, or target
// ("" for none): the checks publish and unpublish apply to --zone and
// --name (dnsx.CheckDomain) and to --host (dnsx.CheckHost). A zone file
// may hold names they refuse (a '$', a backtick, a space, a label that
// starts with a hyphen): a command that names one is never offered, as
// it would be refused as printed. nil when the command can be run.
func unnameable(zoneName, owner, target string) error {
	if err := dnsx.CheckDomain(short(zoneName)); err != nil {
		return fmt.Errorf("--zone: %w", err)
	}
	if name, ok := relName(owner, zoneName); ok && name != "" {
		if err := dnsx.CheckDomain(name); err != nil {
			return fmt.Errorf("--name: %w", err)
		}
	}
	if target != "" && target != "." {
		if _, err := dnsx.CheckHost(target); err != nil {
			return fmt.Errorf("--host: %w", err)
		}
	}
	return nil
}

// refusedHost: --host refuses host (dnsx.CheckHost).
func refusedHost(host string) bool {
	_, err := dnsx.CheckHost(host)
	return err != nil
}

// where is the --zone and --name part of a command for owner, nil when
// the zone holding owner is not known or the command could not name them.
func where(owner, zoneName string) []string {
	if zoneName == "" || unnameable(zoneName, owner, "") != nil {
		return nil
	}
	name, ok := relName(owner, zoneName)
	if !ok {
		return nil
	}
	out := []string{"--zone", short(zoneName)}
	if name != "" {
		out = append(out, "--name", name)
	}
	return out
}

// newNameTTL is the TTL publish gives a record under a name that has
// none (publish.DefaultTTL; publish without --ttl keeps the TTL of the
// RRset the record joins).
const newNameTTL = 3600

// publishCommand adds (or, for the same host with other values, replaces)
// the record rec under owner in zoneName. A TTL of 0 gives no --ttl:
// publish then keeps the TTL of the RRset the record joins (publish
// refuses --ttl 0).
func publishCommand(zoneName, owner string, rec zone.Record) Command {
	w := where(owner, zoneName)
	if w == nil || refusedHost(rec.Target) {
		return nil
	}
	c := Command{"kmsdns", "publish"}
	c = append(c, w...)
	c = append(c, "--host", short(rec.Target),
		"--port", strconv.Itoa(int(rec.Port)),
		"--priority", strconv.Itoa(int(rec.Priority)),
		"--weight", strconv.Itoa(int(rec.Weight)))
	if rec.TTL != 0 {
		c = append(c, "--ttl", strconv.Itoa(int(rec.TTL)))
	}
	return c
}

// unpublishCommand removes every record of target under owner in
// zoneName; force when they are the last records of the name.
func unpublishCommand(zoneName, owner, target string, force bool) Command {
	w := where(owner, zoneName)
	if w == nil || refusedHost(target) {
		return nil
	}
	c := Command{"kmsdns", "unpublish"}
	c = append(c, w...)
	c = append(c, "--host", short(target))
	if force {
		c = append(c, "--force")
	}
	return c
}

// commandChecks are the checks whose fix may carry a publish or unpublish
// command for the finding's own name.
var commandChecks = map[string]bool{
	CheckDecommissioned: true, CheckTargetUnresolv: true, CheckTargetCNAME: true, CheckPortMismatch: true,
	CheckStale: true, CheckLongTTL: true, CheckHostUnreachable: true, CheckDuplicateTarget: true,
	CheckNoLiveHost: true, CheckLowestPrioDead: true, CheckNoKMSRecord: true, CheckPartialPublish: true,
}

// byHand tells, in the fix of each finding of r without a command whose
// name (or record's target) no command can name, why none is given and
// to make the change by hand.
func (a *auditor) byHand(r *zone.Snapshot, fs []Finding) []Finding {
	z := a.fixZone(r)
	for i, f := range fs {
		if f.Command != nil || f.Name == "" || z == "" || !commandChecks[f.Check] {
			continue
		}
		target := f.Target
		if f.Check == CheckTargetCNAME || f.Check == CheckNoLiveHost || f.Check == CheckLowestPrioDead || f.Check == CheckNoKMSRecord {
			target = "" // the command names another host
		}
		if err := unnameable(z, f.Name, target); err != nil {
			fs[i].Fix += fmt.Sprintf(" No command is given: the publish and unpublish commands refuse this name (%v); make the change by hand (zone file, DNS console, or nsupdate).", err)
		}
	}
	return fs
}
