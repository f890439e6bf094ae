package publish

import (
	"context"
	"fmt"
	"strings"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// TSIG signs with an HMAC key (hmac-md5 ... hmac-sha512).
type TSIG struct {
	Key zone.Key
	// Origin says where the key came from, for error messages: a file
	// and the flag or config setting that named it. Never the secret.
	Origin string
}

var _ Signer = TSIG{}

// Sign returns the key for every server.
func (t TSIG) Sign(context.Context, string) (string, string, dns.TsigProvider, error) {
	return t.Key.Name, t.Key.Algorithm, t.Key.Provider(), nil
}

// Close does nothing: a TSIG key has no state.
func (TSIG) Close() error { return nil }

// Describe says which key signs, and where it came from.
func (t TSIG) Describe() string {
	return Credentials(t.Key.Name, t.Key.Algorithm, t.Origin)
}

// Unsigned describes an update sent without a signature.
const Unsigned = "sent unsigned: no key was given for this zone (add --key-file, or an update section in the config)"

// Credentials describes a TSIG key for error messages: "signed with key
// `upd` (hmac-sha256) from /etc/kmsdns/upd.key (--key-file)". It takes no
// secret, so it can print none.
func Credentials(keyName, algorithm, origin string) string {
	s := fmt.Sprintf("signed with key `%s` (%s)", strings.TrimSuffix(keyName, "."), strings.TrimSuffix(algorithm, "."))
	if origin != "" {
		s += " from " + origin
	}
	return s
}

// describer is a Signer that can say what it signs with.
type describer interface{ Describe() string }

// describeSigner is given, or a description of s.
func describeSigner(given string, s Signer) string {
	switch d, ok := s.(describer); {
	case given != "":
		return given
	case s == nil:
		return Unsigned
	case ok:
		return d.Describe()
	}
	return "signed with GSS-TSIG"
}
