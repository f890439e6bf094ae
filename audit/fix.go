package audit

import (
	"strconv"
	"strings"

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

// where is the --zone and --name part of a command for owner, nil when
// the zone holding owner is not known.
func where(owner, zoneName string) []string {
	if zoneName == "" {
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
	if w == nil {
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
	if w == nil {
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
