package publish

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
)

// Settings are the zones to update and how, as plain data (what a
// configuration file and flags say): OpenPrimaries turns them into Primaries
// with their signers. Producing Settings touches neither the network nor
// any credential beyond reading key and password files.
type Settings struct {
	Primaries []PrimarySettings
	// Resolver (host:port) finds primaries by SOA; /etc/resolv.conf's
	// when empty.
	Resolver string
	// Timeout bounds each exchange; 10 s when zero.
	Timeout time.Duration
}

// PrimarySettings is one zone to update: its primary and credentials.
type PrimarySettings struct {
	Zone string
	// Server is the primary (host[:port]); empty to find it from the
	// zone's SOA MNAME.
	Server string
	// ServerName is the primary's DNS host name, for GSS-TSIG when
	// Server is an address.
	ServerName string
	// Key is the TSIG key, zero for none.
	Key zone.Key
	// KeyOrigin says where Key came from: the file and the flag or
	// config setting that named it ("/etc/k.key (--key-file)",
	// "/etc/k.key (kmsdns.yaml zones[1].update.key-file)"), for error
	// messages. Never the secret.
	KeyOrigin string
	// GSS, when set, signs with GSS-TSIG instead of Key.
	GSS *GSSSettings
}

// GSSSettings are GSS-TSIG credentials: a keytab and principal, a
// principal and password, or (all empty) the user's credential cache.
type GSSSettings struct {
	Principal string
	Keytab    string
	// Password is read from a file by the caller, never taken from a
	// command line.
	Password string
	Krb5Conf string
	// PasswordFile is the file Password was read from, and Origin the
	// flag or setting that named the keytab or password file
	// ("--password-file", "kmsdns.yaml zones[0].update.keytab"): for
	// messages only.
	PasswordFile, Origin string
}

// String describes the credentials for messages, never the password.
func (g GSSSettings) String() string {
	who := "the user of the credential cache"
	if g.Principal != "" {
		who = g.Principal
	}
	origin := ""
	if g.Origin != "" {
		origin = " from " + g.Origin
	}
	switch {
	case g.Keytab != "":
		return fmt.Sprintf("signed with GSS-TSIG as %s (keytab %s%s)", who, g.Keytab, origin)
	case g.Password != "" && g.PasswordFile != "":
		return fmt.Sprintf("signed with GSS-TSIG as %s (password file %s%s)", who, g.PasswordFile, origin)
	case g.Password != "":
		return fmt.Sprintf("signed with GSS-TSIG as %s (password file)", who)
	}
	return fmt.Sprintf("signed with GSS-TSIG as %s (credential cache)", who)
}

// OpenPrimaries finds each zone's primary where none is given (SOA MNAME,
// through s.Resolver), works out the server host names GSS-TSIG needs, and
// builds the signers: one per TSIG key, one per GSS-TSIG credential (so one
// context per server is negotiated and reused across zones). close deletes
// the GSS contexts.
func OpenPrimaries(ctx context.Context, s Settings) (targets []Primary, close func() error, err error) {
	targets = make([]Primary, len(s.Primaries))
	for i, t := range s.Primaries {
		targets[i] = Primary{Zone: t.Zone}
		if t.Server != "" {
			targets[i].Server = dnsx.HostPort(t.Server, "")
		}
	}
	names, err := Locate(ctx, targets, s.Resolver, s.Timeout)
	if err != nil {
		return nil, nil, err
	}
	gssByCred := map[GSSSettings]*GSS{}
	var signers []Signer
	for i, t := range s.Primaries {
		switch {
		case t.GSS != nil:
			// One signer per credential, wherever it was named.
			cred := *t.GSS
			cred.Origin = ""
			g, ok := gssByCred[cred]
			if !ok {
				g = &GSS{Principal: t.GSS.Principal, Keytab: t.GSS.Keytab, Password: t.GSS.Password, Krb5Conf: t.GSS.Krb5Conf,
					PasswordFile: t.GSS.PasswordFile, Origin: t.GSS.Origin, Timeout: s.Timeout, ServerNames: map[string]string{}}
				gssByCred[cred] = g
				signers = append(signers, g)
			}
			server := targets[i].Server
			if name := serverName(ctx, t, server, names[server], s); name != "" {
				g.ServerNames[server] = name
			}
			targets[i].Signer = g
			targets[i].Credentials = t.GSS.String()
		case !t.Key.IsZero():
			targets[i].Signer = TSIG{Key: t.Key, Origin: t.KeyOrigin}
		}
	}
	close = func() error {
		var errs []error
		for _, sg := range signers {
			errs = append(errs, sg.Close())
		}
		return errors.Join(errs...)
	}
	return targets, close, nil
}

// serverName is the DNS host name of server for GSS-TSIG's service
// principal: the one given, the one Locate found, the host of a
// host:port, or, for an address, the SOA MNAME of the zone when it
// resolves to that address.
func serverName(ctx context.Context, t PrimarySettings, server, located string, s Settings) string {
	name := t.ServerName
	if name == "" {
		name = located
	}
	if name == "" {
		if host, _, err := net.SplitHostPort(server); err == nil && net.ParseIP(host) == nil {
			name = host
		}
	}
	// An address: the zone's primary may be that machine. Ask the server
	// itself first (an AD DC serves its zone and its own name, which the
	// resolver may not know), then the resolver.
	for _, r := range []string{server, s.Resolver} {
		if name != "" {
			break
		}
		if mname, addr, err := zone.FindPrimary(ctx, t.Zone, r, portOf(server), s.Timeout); err == nil && addr == server {
			name = mname
		}
	}
	return name
}

func portOf(hostport string) string {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return ""
	}
	return p
}
