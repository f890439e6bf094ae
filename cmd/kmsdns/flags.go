package main

import (
	"time"

	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/urfave/cli/v2"
)

// Flags that mean the same thing on every command are defined once here,
// so that their names, aliases, placeholders, defaults and environment
// variables cannot drift apart between commands. A command passes where
// the value goes and, where the purpose differs, a few words of usage.

// durationHint is appended to every duration flag's usage.
const durationHint = " (`DURATION` such as 10s or 1m30s)"

// resolverFlag is -r/--resolver: the resolver asked for names. what says
// what it is used for ("used to find zone servers").
func resolverFlag(dest *string, what string) cli.Flag {
	return &cli.StringFlag{Name: "resolver", Aliases: []string{"r"}, Usage: "resolver `HOST[:PORT]` " + what,
		DefaultText: "$KMSDNS_RESOLVER, else the first nameserver of /etc/resolv.conf", Destination: dest}
}

// timeoutFlag is --timeout; what says what it bounds.
func timeoutFlag(dest *time.Duration, what string) cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Usage: what + durationHint, DefaultText: dnsx.DefaultTimeout.String(), Destination: dest}
}

// probeTimeoutFlag is --probe-timeout.
func probeTimeoutFlag(dest *time.Duration) cli.Flag {
	return &cli.DurationFlag{Name: "probe-timeout", Usage: "how long each probe of a KMS host may take" + durationHint, DefaultText: "3s", Destination: dest}
}

// outputFlag is -o/--output; what is "report" or "result".
func outputFlag(dest *string, what string) cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "`FORMAT` of the " + what + ": table or json (json: one document on stdout, other text on stderr)", Destination: dest}
}

// stateFlag is --state, cleanup's record of removed records.
func stateFlag(dest *string) cli.Flag {
	return &cli.StringFlag{Name: "state", Usage: "state `FILE` of kmsdns cleanup: the records it removed (an audit reports those that come back)",
		DefaultText: "defaults.state of --config, else $XDG_STATE_HOME/kmsdns/removed.json", Destination: dest}
}

// configFlag is -c/--config.
func configFlag(dest *string) cli.Flag {
	return &cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "YAML configuration `FILE` (zones, servers, keys); flags override it", Destination: dest}
}

// dryRunFlag is --dry-run of the commands that write.
func dryRunFlag(dest *bool) cli.Flag {
	return &cli.BoolFlag{Name: "dry-run", Usage: "show the plan and the exact UPDATE message for each zone; send nothing", Destination: dest}
}

// verboseFlag is --verbose of the commands that write.
func verboseFlag(dest *bool) cli.Flag {
	return &cli.BoolFlag{Name: "verbose", Usage: "show detail, such as why a server's answer signature did not verify", Destination: dest}
}

// tsigDest says where the TSIG flags go; a nil field leaves its flag out.
type tsigDest struct {
	KeyFile, KeyName, Algorithm, SecretFile *string
}

// tsigFlags are --key-file/-k, --key-name, --key-algorithm and
// --key-secret-file, in that order.
func tsigFlags(d tsigDest) []cli.Flag {
	var fs []cli.Flag
	if d.KeyFile != nil {
		fs = append(fs, &cli.StringFlag{Name: "key-file", Aliases: []string{"k"}, Usage: "TSIG key `FILE` as written by tsig-keygen (never give secrets on the command line)", Destination: d.KeyFile})
	}
	if d.KeyName != nil {
		u := "`NAME` of the TSIG key to use when the key file holds several"
		if d.Algorithm != nil {
			u = "TSIG key `NAME`: the one to use in --key-file, or, without a key file, the key whose secret is in --key-secret-file or $" + config.SecretEnv
		}
		fs = append(fs, &cli.StringFlag{Name: "key-name", Usage: u, Destination: d.KeyName})
	}
	if d.Algorithm != nil {
		fs = append(fs, &cli.StringFlag{Name: "key-algorithm", Usage: "TSIG `ALGORITHM` of --key-name without a key file (hmac-sha256, hmac-sha512, ...)", Destination: d.Algorithm})
	}
	if d.SecretFile != nil {
		fs = append(fs, &cli.StringFlag{Name: "key-secret-file", Usage: "`FILE` holding the base64 TSIG secret of --key-name",
			DefaultText: "the secret in $" + config.SecretEnv, Destination: d.SecretFile})
	}
	return fs
}

// gssFlags are the GSS-TSIG (Kerberos) flags: --gss, --keytab,
// --principal, --password-file, --krb5-conf and --server-name.
func gssFlags(u *config.Update) []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "gss", Usage: "sign updates with GSS-TSIG (Kerberos), as Windows \"secure only\" zones require; default credential: your ticket cache (kinit, $KRB5CCNAME)",
			// Given (--gss or --gss=false) wins over the config; not given
			// leaves it to the config.
			Action: func(_ *cli.Context, v bool) error { u.GSS = &v; return nil }},
		&cli.StringFlag{Name: "keytab", Usage: "GSS-TSIG with the key of --principal in keytab `FILE` (unattended runs)", Destination: &u.Keytab},
		&cli.StringFlag{Name: "principal", Usage: "Kerberos `PRINCIPAL` (user or user@REALM) for --keytab or --password-file", Destination: &u.Principal},
		&cli.StringFlag{Name: "password-file", Usage: "GSS-TSIG with the password of --principal read from `FILE`", Destination: &u.PasswordFile},
		&cli.StringFlag{Name: "krb5-conf", Usage: "krb5.conf `FILE`", DefaultText: "$KRB5_CONFIG, else /etc/krb5.conf", Destination: &u.Krb5Conf},
		&cli.StringFlag{Name: "server-name", Usage: "the primary's DNS host `NAME`, for GSS-TSIG when --server is an address", Destination: &u.ServerName},
	}
}

// joinFlags joins groups of flags into one list.
func joinFlags(groups ...[]cli.Flag) []cli.Flag {
	var all []cli.Flag
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}
