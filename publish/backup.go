package publish

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Backup is the set of records a cleanup is about to remove, per zone, in
// a file that kmsdns publish --from-file restores.
type Backup struct {
	Created time.Time
	// Zones lists each zone once (ReadBackup merges repeated sections).
	Zones []BackupZone
}

// BackupZone is one zone's removed records and the server they came from.
type BackupZone struct {
	Zone    string
	Server  string
	Records []zone.Record
}

// Write renders the backup in zone-file format: each zone's records under
// a comment naming the zone and server, names fully qualified.
func (b *Backup) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "; kmsdns cleanup backup, %s\n", b.Created.UTC().Format(time.RFC3339))
	fmt.Fprintf(bw, "; restore with: kmsdns publish --from-file FILE (with credentials to update these zones)\n")
	for _, z := range b.Zones {
		fmt.Fprintf(bw, "\n; zone %s server %s\n", z.Zone, z.Server)
		for _, r := range z.Records {
			fmt.Fprintln(bw, r.String())
		}
	}
	return bw.Flush()
}

// Limits of ReadBackup: a backup lists the records one cleanup removed,
// one per line, far below these; anything beyond is not a kmsdns backup
// (or /dev/zero) and is refused with the file and line, before any of it
// is planned.
const (
	// MaxBackupLine is the longest line, in bytes (64 KiB).
	MaxBackupLine = 64 << 10
	// MaxBackupRecords is the most records a backup may hold.
	MaxBackupRecords = 100_000
	// MaxBackupLines is the most lines (records, comments and blank
	// lines) a backup may have.
	MaxBackupLines = 4 * MaxBackupRecords
)

// ErrBackupTooLarge is matched by ReadBackup's error for a file beyond
// MaxBackupLine, MaxBackupRecords or MaxBackupLines.
var ErrBackupTooLarge = errors.New("too large for a kmsdns backup")

// ReadBackup parses a backup file written by Write; file names it in
// errors, which give the line and quote at most a short prefix of it.
//
// Each zone is in the result once, in the order of its first section: the
// sections of a zone listed more than once (two backups joined with cat)
// are merged and a record listed twice is kept once, with the TTL of its
// last line. Sections of one zone that name different servers are refused
// with the file and both lines: which server the zone's records belong on
// would be a guess.
func ReadBackup(r io.Reader, file string) (*Backup, error) {
	b := &Backup{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxBackupLine+1)
	var cur *BackupZone
	line, records := 0, 0
	// sections finds a zone's entry in b.Zones and the line of its first
	// section; seen finds a record already read, in its zone's Records.
	type section struct{ index, line int }
	sections := map[string]section{}
	seen := map[backupKey]int{}
	for sc.Scan() {
		line++
		if line > MaxBackupLines {
			return nil, fmt.Errorf("%s:%d: %w: more than %d lines", file, line, ErrBackupTooLarge, MaxBackupLines)
		}
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == "":
			continue
		case strings.HasPrefix(s, ";"):
			f := strings.Fields(strings.TrimPrefix(s, ";"))
			if len(f) == 4 && f[0] == "zone" && f[2] == "server" {
				if _, ok := dns.IsDomainName(f[1]); !ok || len(f[1]) > 254 {
					return nil, fmt.Errorf("%s:%d: the zone name %s is not a domain name", file, line, linePrefix(f[1]))
				}
				name := dns.CanonicalName(f[1])
				first, ok := sections[name]
				if !ok {
					first = section{index: len(b.Zones), line: line}
					sections[name] = first
					b.Zones = append(b.Zones, BackupZone{Zone: name, Server: f[3]})
				}
				if prev := b.Zones[first.index].Server; !strings.EqualFold(prev, f[3]) {
					return nil, fmt.Errorf("%s:%d: zone %s is listed again with server %s, but %s:%d gives it server %s: a zone's records go back to one server; edit the file to name one",
						file, line, name, linePrefix(f[3]), file, first.line, linePrefix(prev))
				}
				cur = &b.Zones[first.index]
			}
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: a record before any \"; zone Z server S\" line", file, line)
		}
		if records++; records > MaxBackupRecords {
			return nil, fmt.Errorf("%s:%d: %w: more than %d records", file, line, ErrBackupTooLarge, MaxBackupRecords)
		}
		rr, err := dns.NewRR(s)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s is not a record: %s", file, line, linePrefix(s), parseReason(err))
		}
		srv, ok := rr.(*dns.SRV)
		if !ok || !zone.IsKMSName(srv.Hdr.Name) || !dns.IsSubDomain(cur.Zone, dns.CanonicalName(srv.Hdr.Name)) {
			return nil, fmt.Errorf("%s:%d: not a _vlmcs._tcp SRV record of zone %s", file, line, cur.Zone)
		}
		if _, err := dnsx.CheckHost(srv.Target); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
		rec := zone.Record{Zone: cur.Zone, Name: dns.CanonicalName(srv.Hdr.Name), TTL: srv.Hdr.Ttl,
			Priority: srv.Priority, Weight: srv.Weight, Port: srv.Port, Target: dns.CanonicalName(srv.Target)}
		k := backupKey{zone: cur.Zone, name: rec.Name, target: rec.Target, port: rec.Port, priority: rec.Priority, weight: rec.Weight}
		if i, ok := seen[k]; ok {
			cur.Records[i] = rec // listed again: once, with the last line's TTL
			continue
		}
		seen[k] = len(cur.Records)
		cur.Records = append(cur.Records, rec)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: %w: a line longer than %d bytes", file, line+1, ErrBackupTooLarge, MaxBackupLine)
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(b.Zones) == 0 {
		return nil, fmt.Errorf("%s: not a kmsdns backup (no \"; zone Z server S\" line)", file)
	}
	return b, nil
}

// backupKey is what makes a backed-up record the same record (sameRR):
// its zone, owner and SRV data, not its TTL.
type backupKey struct {
	zone, name, target     string
	port, priority, weight uint16
}

// Server is the server the backup names for zone z (any spelling), or ""
// when the backup does not list z.
func (b *Backup) Server(z string) string {
	z = dns.CanonicalName(z)
	for _, bz := range b.Zones {
		if bz.Zone == z {
			return bz.Server
		}
	}
	return ""
}

// maxQuoted is the most of a line an error quotes.
const maxQuoted = 40

// linePrefix quotes at most maxQuoted bytes of s, marking a cut.
func linePrefix(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:maxQuoted]) + "..."
}

// parseReason is what miekg/dns found wrong, without the token it quotes
// (dns.ParseError writes `dns: <reason>: "<token>" at line: ...`).
func parseReason(err error) string {
	msg := strings.TrimPrefix(err.Error(), "dns: ")
	if i := strings.Index(msg, ": \""); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > maxQuoted {
		msg = msg[:maxQuoted] + "..."
	}
	return msg
}

// PlanRestore plans adding back every record of a backup zone that the
// zone lacks now (current maps owner names to their records).
func PlanRestore(zoneName, server string, records []zone.Record, current map[string][]zone.Record) *ZonePlan {
	p := &ZonePlan{Zone: dns.CanonicalName(zoneName), Server: server, Current: current}
	for _, r := range records {
		if slices.ContainsFunc(current[r.Name], func(c zone.Record) bool { return sameRR(c, r) }) {
			continue
		}
		p.Add = append(p.Add, r)
	}
	switch {
	case len(p.Add) == 0:
		p.Action, p.Note = ActionAlreadyPresent, "every backed-up record is present: nothing to send"
	default:
		p.Action = ActionAdded
		p.Note = fmt.Sprintf("restores %d record(s) from the backup", len(p.Add))
	}
	return p.failTooLarge()
}

// PlanRestoreFrom reads the current records of each backup zone from the
// primary its target names (the backup's server when the zone has no
// target) and plans the restore, signed with the target's signer.
func (cl *Client) PlanRestoreFrom(ctx context.Context, b *Backup, targets []Primary) []*ZonePlan {
	byZone := map[string]Primary{}
	for _, t := range targets {
		byZone[dns.CanonicalName(t.Zone)] = t
	}
	var plans []*ZonePlan
	for _, z := range b.Zones {
		t := byZone[z.Zone]
		if t.Server == "" {
			t.Server = z.Server
		}
		current := map[string][]zone.Record{}
		var err error
		for _, r := range z.Records {
			if _, ok := current[r.Name]; ok {
				continue
			}
			if current[r.Name], err = cl.Current(ctx, t.Server, z.Zone, r.Name); err != nil {
				break
			}
		}
		if err != nil {
			plans = append(plans, &ZonePlan{Zone: z.Zone, Server: t.Server, Action: ActionFailed, Err: err, Signer: t.Signer})
			continue
		}
		p := PlanRestore(z.Zone, t.Server, z.Records, current)
		p.Signer = t.Signer
		plans = append(plans, p)
	}
	return plans
}
