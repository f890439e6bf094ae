package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
)

// Update is how updates are sent to a zone: its primary and credentials.
type Update struct {
	// Server is the primary (host[:port]); the zone's SOA MNAME when empty.
	Server string `yaml:"server"`
	// ServerName is the primary's DNS host name, for GSS-TSIG when Server
	// is an address.
	ServerName string `yaml:"server-name"`
	// KeyFile and KeyName: a TSIG key (tsig-keygen format).
	KeyFile string `yaml:"key-file"`
	KeyName string `yaml:"key-name"`
	// GSS selects GSS-TSIG; Keytab + Principal, PasswordFile + Principal,
	// or the user's credential cache.
	GSS          bool   `yaml:"gss"`
	Keytab       string `yaml:"keytab"`
	Principal    string `yaml:"principal"`
	PasswordFile string `yaml:"password-file"`
	Krb5Conf     string `yaml:"krb5-conf"`
}

func (u *Update) relative(rel func(string) string) {
	u.KeyFile, u.Keytab, u.PasswordFile, u.Krb5Conf = rel(u.KeyFile), rel(u.Keytab), rel(u.PasswordFile), rel(u.Krb5Conf)
}

func (u Update) check() error {
	if err := CheckServer(u.Server); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if u.ServerName != "" {
		if err := CheckHost(u.ServerName); err != nil {
			return fmt.Errorf("server-name: %w", err)
		}
	}
	if u.GSS && u.KeyFile != "" {
		return errors.New("gss: set together with key-file: choose TSIG or GSS-TSIG")
	}
	if (u.Keytab != "" || u.PasswordFile != "") && u.Principal == "" {
		return errors.New("principal: needed with keytab or password-file")
	}
	if u.Keytab != "" && u.PasswordFile != "" {
		return errors.New("keytab: set together with password-file: choose one")
	}
	return nil
}

// UpdateFlags are the command-line settings of publish, unpublish and cleanup.
type UpdateFlags struct {
	Zones    []string
	Update   Update
	Resolver string
	Timeout  time.Duration
	// KeyAlgorithm with Update.KeyName and a secret from SecretFile or
	// the KMSDNS_TSIG_SECRET environment variable gives a key without a
	// key file.
	KeyAlgorithm string
	SecretFile   string
}

// CleanupFlags are the update settings of a cleanup of zones: the server
// and key the zones are read with serve for the updates too, unless
// GSS-TSIG credentials are given for the updates.
func CleanupFlags(read Flags, upd UpdateFlags, zones []string) UpdateFlags {
	upd.Zones = zones
	upd.Resolver, upd.Timeout = read.Resolver, read.Timeout
	upd.Update.Server = read.Server
	if !upd.Update.GSS && upd.Update.Keytab == "" && upd.Update.PasswordFile == "" {
		upd.Update.KeyFile, upd.Update.KeyName = read.KeyFile, read.KeyName
		upd.KeyAlgorithm, upd.SecretFile = read.KeyAlgorithm, read.SecretFile
	}
	return upd
}

// SecretEnv is the environment variable a TSIG secret may come from.
const SecretEnv = "KMSDNS_TSIG_SECRET"

// UpdateTarget is one zone to update and how.
type UpdateTarget struct {
	Zone string
	// Server is the primary, empty to find it from the SOA.
	Server     string
	ServerName string
	Key        zone.Key
	// KeyOrigin says where Key came from: the file and the flag or
	// config setting that named it ("/etc/k.key (--key-file)", "/etc/k.key
	// (kmsdns.yaml zones[1].update.key-file)"), for error messages.
	// Never the secret.
	KeyOrigin string
	GSS       *publish.GSS
}

// UpdatePlan is what publish, unpublish and cleanup work on.
type UpdatePlan struct {
	Targets  []UpdateTarget
	Resolver string
	Timeout  time.Duration
	// Warnings are things to tell the user before anything is sent
	// (secret files readable by others).
	Warnings []string
}

// MergeUpdate combines the file (may be nil) and flags, which win. Keys,
// passwords and keytabs are read and checked here: nothing is sent on bad
// input. The zones are the flags' --zone, or every zone of the file.
func MergeUpdate(f *File, fl UpdateFlags) (*UpdatePlan, error) {
	if f == nil {
		f = &File{}
	}
	if err := fl.Update.check(); err != nil {
		return nil, fmt.Errorf("--%w", err)
	}
	if err := CheckServer(fl.Resolver); err != nil {
		return nil, fmt.Errorf("--resolver: %w", err)
	}
	if fl.Timeout < 0 {
		return nil, errors.New("--timeout: must be positive")
	}
	var zones []Zone
	if len(fl.Zones) > 0 {
		var err error
		zones, err = f.zonesNamed(fl.Zones, func(n string) error {
			if err := CheckHost(strings.TrimSuffix(n, ".")); err != nil {
				return fmt.Errorf("--zone: %w", err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else {
		for _, z := range f.Zones {
			if z.Name != "" {
				zones = append(zones, z)
			}
		}
	}
	if len(zones) == 0 {
		return nil, errors.New("no zones: give --zone (repeatable) or a --config file with zones")
	}
	p := &UpdatePlan{
		Resolver: firstS(fl.Resolver, f.Defaults.Resolver),
		Timeout:  time.Duration(first(int64(fl.Timeout), int64(f.Defaults.Timeout))),
	}
	sec := newSecrets()
	for _, z := range zones {
		u, src := mergeUpdate(fl.Update, z.Update, f.Defaults.Update)
		// from says where a credential setting came from, for errors.
		from := func(field string) string {
			switch src {
			case 0:
				return "--" + field
			case 1:
				return f.setting(z, "update."+field, "", "zone")
			}
			return f.setting(z, "update."+field, "", "")
		}
		// Without an update server, the server the zone is read from,
		// then the SOA MNAME; without update credentials, the key the
		// zone is read with.
		u.Server = firstS(u.Server, z.Server, f.Defaults.Server)
		if !u.GSS && u.KeyFile == "" && u.KeyName == "" && u.Keytab == "" && u.PasswordFile == "" {
			u.KeyFile = firstS(z.KeyFile, f.Defaults.KeyFile)
			u.KeyName = firstS(z.KeyName, f.Defaults.KeyName)
			from = func(field string) string { return f.setting(z, field, "", z.KeyFile) }
		}
		t := UpdateTarget{Zone: z.Name, Server: u.Server, ServerName: u.ServerName}
		if err := u.check(); err != nil {
			return nil, fmt.Errorf("zone %s: %w", z.Name, err)
		}
		switch {
		case u.GSS || u.Keytab != "" || u.PasswordFile != "":
			g := &publish.GSS{Principal: u.Principal, Keytab: u.Keytab, Krb5Conf: u.Krb5Conf, Timeout: p.Timeout}
			if u.Keytab != "" {
				if _, err := os.Stat(u.Keytab); err != nil {
					return nil, fmt.Errorf("zone %s: keytab: %w (from %s)", z.Name, err, from("keytab"))
				}
				sec.warn(u.Keytab)
			}
			if u.PasswordFile != "" {
				b, err := readCapped(u.PasswordFile, maxSecretFile)
				if err != nil {
					return nil, fmt.Errorf("zone %s: password file: %w (from %s)", z.Name, err, from("password-file"))
				}
				g.Password = strings.TrimRight(string(b), "\r\n")
				if g.Password == "" {
					return nil, fmt.Errorf("zone %s: password file %s is empty", z.Name, u.PasswordFile)
				}
				sec.warn(u.PasswordFile)
			}
			if u.Krb5Conf != "" {
				if _, err := os.Stat(u.Krb5Conf); err != nil {
					return nil, fmt.Errorf("zone %s: krb5.conf: %w", z.Name, err)
				}
			}
			t.GSS = g
		case u.KeyFile != "":
			k, err := sec.key(z.Name, u.KeyFile, u.KeyName, from("key-file"))
			if err != nil {
				return nil, err
			}
			t.Key, t.KeyOrigin = k, u.KeyFile+" ("+from("key-file")+")"
		case u.KeyName != "":
			secret, err := readSecret(fl.SecretFile)
			if err != nil {
				return nil, err
			}
			if fl.SecretFile != "" {
				sec.warn(fl.SecretFile)
			}
			if fl.KeyAlgorithm == "" {
				return nil, errors.New("--key-name without --key-file needs --key-algorithm (hmac-sha256, ...)")
			}
			k, err := zone.NewKey(u.KeyName, fl.KeyAlgorithm, secret)
			if err != nil {
				return nil, err
			}
			t.Key, t.KeyOrigin = k, "$"+SecretEnv
			if fl.SecretFile != "" {
				t.KeyOrigin = fl.SecretFile + " (--key-secret-file)"
			}
		}
		p.Targets = append(p.Targets, t)
	}
	p.Warnings = sec.warnings
	return p, nil
}

// readSecret reads a base64 TSIG secret from a file or SecretEnv.
func readSecret(file string) (string, error) {
	if file != "" {
		b, err := readCapped(file, maxSecretFile)
		if err != nil {
			return "", fmt.Errorf("--key-secret-file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if s := os.Getenv(SecretEnv); s != "" {
		return strings.TrimSpace(s), nil
	}
	return "", fmt.Errorf("--key-name without --key-file: give the secret with --key-secret-file or the %s environment variable (never on the command line)", SecretEnv)
}

// maxSecretFile bounds password and secret files.
const maxSecretFile = 64 << 10

// mergeUpdate takes each field from the first of flag, zone, defaults that
// sets it. The credential kind is taken as a whole, so that a zone's GSS
// setting is not mixed with a default TSIG key; src says where it came
// from (0 flags, 1 zone, 2 defaults, -1 none).
func mergeUpdate(fl, z, d Update) (u Update, src int) {
	u = Update{
		Server:     firstS(fl.Server, z.Server, d.Server),
		ServerName: firstS(fl.ServerName, z.ServerName, d.ServerName),
		Krb5Conf:   firstS(fl.Krb5Conf, z.Krb5Conf, d.Krb5Conf),
	}
	for i, s := range []Update{fl, z, d} {
		if s.GSS || s.KeyFile != "" || s.KeyName != "" || s.Keytab != "" || s.PasswordFile != "" {
			u.GSS, u.KeyFile, u.KeyName = s.GSS, s.KeyFile, s.KeyName
			u.Keytab, u.Principal, u.PasswordFile = s.Keytab, s.Principal, s.PasswordFile
			return u, i
		}
	}
	return u, -1
}

// SecretFileWarning says when a file holding a secret can be read by
// other users, or "" when it cannot.
func SecretFileWarning(path string) string {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&fs.ModePerm&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds a secret but is readable by other users (mode %#o): chmod 600 %s", path, fi.Mode()&fs.ModePerm, path)
}

// PublishTargets finds each zone's primary where none is given (SOA
// MNAME), works out the server host names GSS-TSIG needs, and builds the
// signers: one per TSIG key, one per GSS-TSIG credential (so one context
// per server is negotiated and reused across zones). close deletes the
// GSS contexts.
func (p *UpdatePlan) PublishTargets(ctx context.Context) (targets []publish.Target, close func() error, err error) {
	targets = make([]publish.Target, len(p.Targets))
	for i, t := range p.Targets {
		targets[i] = publish.Target{Zone: t.Zone}
		if t.Server != "" {
			targets[i].Server = zone.HostPort(t.Server, "")
		}
	}
	names, err := publish.Locate(ctx, targets, p.Resolver, p.Timeout)
	if err != nil {
		return nil, nil, err
	}
	gssByCred := map[string]*publish.GSS{}
	var signers []publish.Signer
	for i, t := range p.Targets {
		switch {
		case t.GSS != nil:
			cred := strings.Join([]string{t.GSS.Principal, t.GSS.Keytab, t.GSS.Password, t.GSS.Krb5Conf}, "\x00")
			g, ok := gssByCred[cred]
			if !ok {
				g = t.GSS
				g.ServerNames = map[string]string{}
				gssByCred[cred] = g
				signers = append(signers, g)
			}
			server := targets[i].Server
			name := t.ServerName
			if name == "" {
				name = names[server]
			}
			if name == "" {
				if host, _, err := net.SplitHostPort(server); err == nil && net.ParseIP(host) == nil {
					name = host
				}
			}
			// An address: the zone's primary may be that machine. Ask
			// the server itself first (an AD DC serves its zone and its
			// own name, which the resolver may not know), then the
			// resolver.
			for _, r := range []string{server, p.Resolver} {
				if name != "" {
					break
				}
				if mname, addr, err := zone.FindPrimary(ctx, t.Zone, r, portOf(server), p.Timeout); err == nil && addr == server {
					name = mname
				}
			}
			if name != "" {
				g.ServerNames[server] = name
			}
			targets[i].Signer = g
			targets[i].Credentials = gssCredentials(t.GSS)
		case !t.Key.IsZero():
			targets[i].Signer = publish.TSIG{Key: t.Key, Origin: t.KeyOrigin}
		}
	}
	close = func() error {
		var errs []error
		for _, s := range signers {
			errs = append(errs, s.Close())
		}
		return errors.Join(errs...)
	}
	return targets, close, nil
}

func portOf(hostport string) string {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return ""
	}
	return p
}

// gssCredentials describes GSS-TSIG credentials for error messages, never
// the password.
func gssCredentials(g *publish.GSS) string {
	who := "the user of the credential cache"
	if g.Principal != "" {
		who = g.Principal
	}
	switch {
	case g.Keytab != "":
		return fmt.Sprintf("signed with GSS-TSIG as %s (keytab %s)", who, g.Keytab)
	case g.Password != "":
		return fmt.Sprintf("signed with GSS-TSIG as %s (password file)", who)
	}
	return fmt.Sprintf("signed with GSS-TSIG as %s (credential cache)", who)
}
