package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
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
	// or the user's credential cache. nil is "not given": a zone's
	// gss: false overrides the defaults' gss: true (UsesGSS).
	GSS          *bool  `yaml:"gss"`
	Keytab       string `yaml:"keytab"`
	Principal    string `yaml:"principal"`
	PasswordFile string `yaml:"password-file"`
	Krb5Conf     string `yaml:"krb5-conf"`
}

// UsesGSS reports whether GSS is given and true.
func (u Update) UsesGSS() bool { return u.GSS != nil && *u.GSS }

// credentials reports whether u chooses how updates are signed: GSS given
// (true or false), a key file or name, a keytab or a password file.
func (u Update) credentials() bool {
	return u.GSS != nil || u.KeyFile != "" || u.KeyName != "" || u.Keytab != "" || u.PasswordFile != ""
}

func (u *Update) relative(rel func(string) string) {
	u.KeyFile, u.Keytab, u.PasswordFile, u.Krb5Conf = rel(u.KeyFile), rel(u.Keytab), rel(u.PasswordFile), rel(u.Krb5Conf)
}

// gssOn reports whether u signs with GSS-TSIG: gss: true, a keytab or a
// password file.
func (u Update) gssOn() bool { return u.UsesGSS() || u.Keytab != "" || u.PasswordFile != "" }

// check checks a config file's update section; errors start with the
// field's name.
func (u Update) check() error { return u.validate(false) }

// validate checks one set of update settings: the command line's (flags:
// errors start with the field, and name the other settings, as flags) or
// a config section's. A principal without GSS-TSIG (no gss: true, keytab
// or password file) would be dropped and the update sent unsigned or
// signed with a TSIG key: refused. (server-name and krb5-conf are merged
// one by one, so whether GSS-TSIG uses them is known per zone only:
// mergeUpdateZones checks them.)
func (u Update) validate(flags bool) error {
	name := func(f string) string {
		if flags {
			return "--" + f
		}
		return f
	}
	gss := "gss: true"
	if flags {
		gss = "--gss"
	}
	if u.Principal != "" && !u.gssOn() {
		if u.KeyFile != "" || u.KeyName != "" {
			return fmt.Errorf("principal: set with a TSIG key (%s): the key would sign the updates, and a principal is for GSS-TSIG; leave %s out, or give %s or %s (%s for the Kerberos credential cache) instead of the key",
				name("key-file"), name("principal"), name("keytab"), name("password-file"), gss)
		}
		return fmt.Errorf("principal: names a GSS-TSIG account, but nothing turns GSS-TSIG on, so the update would not be signed as it: give %s or %s with it, or %s to use the Kerberos credential cache",
			name("keytab"), name("password-file"), gss)
	}
	if err := CheckServer(u.Server); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if u.ServerName != "" {
		if _, err := dnsx.CheckHost(u.ServerName); err != nil {
			return fmt.Errorf("server-name: %w", err)
		}
	}
	if u.UsesGSS() && u.KeyFile != "" {
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
	// ProbeTimeout bounds each probe of a host publish checks
	// (--probe-timeout); defaults.probe-timeout, as for the audit, when 0.
	ProbeTimeout time.Duration
}

// SecretEnv is the environment variable a TSIG secret may come from.
const SecretEnv = "KMSDNS_TSIG_SECRET"

// UpdatePlan is what publish, unpublish and cleanup work on: plain
// settings (publish.OpenPrimaries finds the primaries and builds the
// signers) and what to tell the user first.
type UpdatePlan struct {
	publish.Settings
	// Warnings are things to tell the user before anything is sent
	// (secret files readable by others).
	Warnings []string
	// ProbeTimeout bounds each probe of a host to publish: the flag's,
	// else the config's defaults.probe-timeout (as the audit takes it),
	// else 0 (probe.DefaultTimeout).
	ProbeTimeout time.Duration
}

// Only returns the plan for the zones named, in that order and spelt as
// named (zones it does not have are left out).
func (p *UpdatePlan) Only(zones []string) *UpdatePlan {
	out := &UpdatePlan{Settings: publish.Settings{Resolver: p.Resolver, Timeout: p.Timeout}, Warnings: p.Warnings}
	for _, z := range zones {
		for _, t := range p.Primaries {
			if dns.CanonicalName(t.Zone) == dns.CanonicalName(z) {
				t.Zone = z
				out.Primaries = append(out.Primaries, t)
				break
			}
		}
	}
	return out
}

// MergeUpdate combines the file (may be nil) and flags, which win. Keys,
// passwords and keytabs are read and checked here: nothing is sent on bad
// input. The zones are the flags' --zone, or every zone of the file.
func MergeUpdate(f *File, fl UpdateFlags) (*UpdatePlan, error) {
	if f == nil {
		f = &File{}
	}
	if err := fl.Update.validate(true); err != nil {
		return nil, fmt.Errorf("--%w", err)
	}
	if err := CheckServer(fl.Resolver); err != nil {
		return nil, fmt.Errorf("--resolver: %w", err)
	}
	if fl.Timeout < 0 {
		return nil, errors.New("--timeout: must be positive")
	}
	if fl.ProbeTimeout < 0 {
		return nil, errors.New("--probe-timeout: must be positive")
	}
	if fl.Update.KeyFile != "" && fl.SecretFile != "" {
		// Which secret would sign is a guess: refuse, as audit does.
		return nil, errors.New("--key-algorithm and --key-secret-file: give them with --key-name and without --key-file")
	}
	var zones []Zone
	if len(fl.Zones) > 0 {
		var err error
		zones, err = f.zonesNamed(fl.Zones, func(n string) error {
			if err := CheckDomain(strings.TrimSuffix(n, ".")); err != nil {
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
	sec := newSecrets()
	p, err := mergeUpdateZones(f, fl, zones, sec)
	if err != nil {
		return nil, err
	}
	p.Warnings = sec.warnings
	p.ProbeTimeout = time.Duration(first(int64(fl.ProbeTimeout), int64(f.Defaults.ProbeTimeout)))
	return p, nil
}

// mergeUpdateZones gives each zone its update settings: flags first, then
// the zone's update section, the defaults' update section, and last the
// server and key the zone is read with.
func mergeUpdateZones(f *File, fl UpdateFlags, zones []Zone, sec *secrets) (*UpdatePlan, error) {
	p := &UpdatePlan{Settings: publish.Settings{
		Resolver: firstS(fl.Resolver, f.Defaults.Resolver),
		Timeout:  time.Duration(first(int64(fl.Timeout), int64(f.Defaults.Timeout))),
	}}
	// A --key-name given alone (no key file, algorithm, secret file or
	// other credential) picks the key in the key file each zone's
	// credentials name: zones[].update.key-file, defaults.update.key-file,
	// then the key file the zone is read with. Only a zone without any
	// key file takes it as a key whose secret comes from
	// --key-secret-file or $KMSDNS_TSIG_SECRET.
	flu, pick := fl.Update, ""
	if flu.KeyName != "" && flu.KeyFile == "" && fl.KeyAlgorithm == "" && fl.SecretFile == "" && !flu.UsesGSS() && flu.Keytab == "" && flu.PasswordFile == "" {
		pick, flu.KeyName = flu.KeyName, ""
	}
	for _, z := range zones {
		u, src := mergeUpdate(flu, z.Update, f.Defaults.Update)
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
		if !u.UsesGSS() && u.KeyFile == "" && u.KeyName == "" && u.Keytab == "" && u.PasswordFile == "" {
			u.KeyFile = firstS(z.KeyFile, f.Defaults.KeyFile)
			u.KeyName = firstS(z.KeyName, f.Defaults.KeyName)
			from = func(field string) string { return f.setting(z, field, "", z.KeyFile) }
		}
		if pick != "" {
			switch {
			case u.KeyFile != "":
				u.KeyName = pick
			case u.UsesGSS() || u.Keytab != "" || u.PasswordFile != "":
				return nil, fmt.Errorf("zone %s: --key-name: the zone is updated with GSS-TSIG (from %s); --key-name picks a TSIG key in a key file", z.Name, from("gss"))
			default:
				u.KeyName = pick // a secret from --key-secret-file or the environment
			}
		}
		if err := gssOnly(f, z, flu, u, src, from); err != nil {
			return nil, err
		}
		t := publish.PrimarySettings{Zone: z.Name, Server: u.Server, ServerName: u.ServerName}
		if err := u.check(); err != nil {
			return nil, fmt.Errorf("zone %s: %w", z.Name, err)
		}
		switch {
		case u.UsesGSS() || u.Keytab != "" || u.PasswordFile != "":
			g := &publish.GSSSettings{Principal: u.Principal, Keytab: u.Keytab, Krb5Conf: u.Krb5Conf, PasswordFile: u.PasswordFile}
			switch {
			case u.Keytab != "":
				g.Origin = from("keytab")
			case u.PasswordFile != "":
				g.Origin = from("password-file")
			}
			if u.Keytab != "" {
				if err := regfile.Stat(u.Keytab); err != nil {
					return nil, fmt.Errorf("zone %s: keytab: %w (from %s)", z.Name, err, from("keytab"))
				}
				sec.warn(u.Keytab)
			}
			if u.PasswordFile != "" {
				pw, err := sec.password(u.PasswordFile)
				if err != nil {
					return nil, fmt.Errorf("zone %s: password file: %w (from %s)", z.Name, err, from("password-file"))
				}
				g.Password = pw
				if g.Password == "" {
					return nil, fmt.Errorf("zone %s: password file %s is empty", z.Name, u.PasswordFile)
				}
				sec.warn(u.PasswordFile)
			}
			if u.Krb5Conf != "" {
				if err := regfile.Stat(u.Krb5Conf); err != nil {
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
			secret, err := sec.secret(fl.SecretFile)
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
		p.Primaries = append(p.Primaries, t)
	}
	return p, nil
}

// gssOnly refuses server-name and krb5-conf for a zone not updated with
// GSS-TSIG, when given on the command line or in the zone's own update
// section: the update would go out unsigned or TSIG-signed while the user
// named GSS-TSIG settings. Given in defaults.update (shared by GSS-TSIG and
// TSIG zones), or in the zone's section when the command line chose the
// credentials (--gss=false, --key-file), they are simply not used. u is
// the zone's merged settings, src where its credentials came from
// (mergeUpdate), from names a credential setting's origin.
func gssOnly(f *File, z Zone, flu, u Update, src int, from func(string) string) error {
	if u.gssOn() {
		return nil
	}
	if src < 0 {
		src = 3 // none: the key the zone is read with, or unsigned
	}
	for _, g := range []struct{ field, flag, zone string }{
		{"server-name", flu.ServerName, z.Update.ServerName},
		{"krb5-conf", flu.Krb5Conf, z.Update.Krb5Conf},
	} {
		at, given, add := 0, "--"+g.field, "give --gss (the Kerberos credential cache), or --keytab or --password-file with --principal, or leave it out"
		switch {
		case g.flag != "":
		case g.zone != "":
			at, given = 1, f.setting(z, "update."+g.field, "", "zone")
			add = "set gss: true, or keytab or password-file with principal, in the zone's update section, or remove it"
		default:
			continue
		}
		if at > src {
			continue
		}
		how := "nothing turns GSS-TSIG on, so the update would go out unsigned"
		switch {
		case u.KeyFile != "":
			how = fmt.Sprintf("the updates are signed with the TSIG key in %s (from %s)", u.KeyFile, from("key-file"))
		case u.KeyName != "":
			how = fmt.Sprintf("the updates are signed with TSIG key %s", u.KeyName)
		case u.GSS != nil && src == 0:
			how = "GSS-TSIG is off (--gss=false)"
		case u.GSS != nil:
			how = fmt.Sprintf("GSS-TSIG is off (gss: false, from %s)", f.setting(z, "update.gss", "", map[bool]string{true: "zone"}[src == 1]))
		}
		return fmt.Errorf("zone %s: %s is for GSS-TSIG, but %s: %s", z.Name, given, how, add)
	}
	return nil
}

// readSecret reads a base64 TSIG secret from a file or SecretEnv.
func readSecret(file string) (string, error) {
	if file != "" {
		b, err := regfile.ReadSecret(file, maxSecretFile, regfile.PipeWait) // a pipe too: <(pass show ...)
		if err != nil {
			return "", fmt.Errorf("--key-secret-file: %w", err)
		}
		if b, err = decodeBOM(b); err != nil { // saved by Windows PowerShell
			return "", fmt.Errorf("--key-secret-file %s: %w", file, err)
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
		if s.credentials() {
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
