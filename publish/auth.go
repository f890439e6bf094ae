package publish

import (
	"context"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// TSIG signs with an HMAC key (hmac-md5 ... hmac-sha512).
type TSIG struct {
	Key zone.Key
}

var _ Signer = TSIG{}

// Sign returns the key for every server.
func (t TSIG) Sign(context.Context, string) (string, string, dns.TsigProvider, error) {
	return t.Key.Name, t.Key.Algorithm, t.Key.Provider(), nil
}

// Close does nothing: a TSIG key has no state.
func (TSIG) Close() error { return nil }
