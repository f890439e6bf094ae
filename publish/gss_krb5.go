package publish

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/miekg/dns"
)

// A GSS-TSIG context over the Kerberos 5 mechanism (RFC 4121), written on
// gokrb5: the initiator sends an AP-REQ in a TKEY query (RFC 3645 3.1),
// the acceptor answers with an AP-REP, and each message is then signed
// with a MIC token whose sequence number increases by one per message.

// tkeyModeGSS and tkeyModeDelete are TKEY modes (RFC 2930 2.5).
const (
	tkeyModeGSS    = 3
	tkeyModeDelete = 5
)

// krbContext is one negotiated context.
type krbContext struct {
	name   string
	client string // user@REALM
	mu     sync.Mutex
	key    types.EncryptionKey
	subkey bool // the acceptor asserted its own subkey
	seq    uint64
}

func (k *krbContext) keyName() string            { return k.name }
func (k *krbContext) provider() dns.TsigProvider { return k }
func (k *krbContext) account() string            { return k.client }

// Generate signs msg with the next sequence number.
func (k *krbContext) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	if dns.CanonicalName(t.Hdr.Name) != k.name {
		return nil, dns.ErrSecret
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	tok := gssapi.MICToken{SndSeqNum: k.seq, Payload: msg}
	if k.subkey {
		tok.Flags = gssapi.MICTokenFlagAcceptorSubkey
	}
	if err := tok.SetChecksum(k.key, keyusage.GSSAPI_INITIATOR_SIGN); err != nil {
		return nil, err
	}
	b, err := tok.Marshal()
	if err != nil {
		return nil, err
	}
	k.seq++
	return b, nil
}

// Verify checks the acceptor's MIC on an answer.
func (k *krbContext) Verify(msg []byte, t *dns.TSIG) error {
	if dns.CanonicalName(t.Hdr.Name) != k.name {
		return dns.ErrSecret
	}
	mac, err := hex.DecodeString(t.MAC)
	if err != nil {
		return err
	}
	var tok gssapi.MICToken
	if err := tok.Unmarshal(mac, true); err != nil {
		return err
	}
	tok.Payload = msg
	if ok, err := tok.Verify(k.key, keyusage.GSSAPI_ACCEPTOR_SIGN); !ok {
		if err == nil {
			err = dns.ErrSig
		}
		return err
	}
	return nil
}

// krbClient logs in with the configured credential.
func (g *GSS) krbClient() (*client.Client, error) {
	cfg, _, err := g.krb5Config()
	if err != nil {
		return nil, err
	}
	var cl *client.Client
	switch {
	case g.Keytab != "" || g.Password != "":
		user, realm, err := g.userRealm()
		if err != nil {
			return nil, err
		}
		if g.Keytab != "" {
			kt, err := keytab.Load(g.Keytab)
			if err != nil {
				return nil, fmt.Errorf("keytab %s: %w", g.Keytab, err)
			}
			cl = client.NewWithKeytab(user, realm, kt, cfg, client.DisablePAFXFAST(true))
		} else {
			cl = client.NewWithPassword(user, realm, g.Password, cfg, client.DisablePAFXFAST(true))
		}
		if err := cl.Login(); err != nil {
			return nil, fmt.Errorf("Kerberos login as %s@%s: %w", user, realm, err)
		}
	default:
		path, err := ccachePath()
		if err != nil {
			return nil, err
		}
		cc, err := credentials.LoadCCache(path)
		if err != nil {
			return nil, fmt.Errorf("credential cache %s (run kinit first, or give a keytab): %w", path, err)
		}
		if cl, err = client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true)); err != nil {
			return nil, fmt.Errorf("credential cache %s: %w", path, err)
		}
	}
	return cl, nil
}

// ccachePath is KRB5CCNAME's file, or /tmp/krb5cc_<uid> as MIT kinit writes.
func ccachePath() (string, error) {
	if env := os.Getenv("KRB5CCNAME"); env != "" {
		kind, path, ok := strings.Cut(env, ":")
		switch {
		case !ok:
			return env, nil
		case kind == "FILE":
			return path, nil
		}
		return "", fmt.Errorf("KRB5CCNAME=%s: only FILE credential caches are supported", env)
	}
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	return "/tmp/krb5cc_" + u.Uid, nil
}

// negotiateKRB runs the TKEY exchange with server for DNS/<host>.
func (g *GSS) negotiateKRB(ctx context.Context, server, host string) (*krbContext, error) {
	cl, err := g.krbClient()
	if err != nil {
		return nil, err
	}
	defer cl.Destroy()
	tkt, sessionKey, err := cl.GetServiceTicket("DNS/" + host)
	if err != nil {
		return nil, fmt.Errorf("service ticket: %w", err)
	}
	apreq, err := spnego.NewKRB5TokenAPREQ(cl, tkt, sessionKey,
		[]int{gssapi.ContextFlagMutual, gssapi.ContextFlagReplay, gssapi.ContextFlagInteg},
		[]int{flags.APOptionMutualRequired})
	if err != nil {
		return nil, err
	}
	if err := apreq.APReq.DecryptAuthenticator(sessionKey); err != nil {
		return nil, err
	}
	token, err := apreq.Marshal()
	if err != nil {
		return nil, err
	}
	name := dns.CanonicalName(fmt.Sprintf("%d.sig-%s", rand.Uint32(), host))
	now := uint32(time.Now().Unix())
	q := tkeyQuery(name, tkeyModeGSS, now, now+3600, token)
	c, err := dial(ctx, server, g.timeout())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	a, err := c.exchange(ctx, q, nil)
	if err != nil {
		return nil, fmt.Errorf("TKEY: %w", err)
	}
	if a.msg.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("TKEY: the server answered %s", rcodeName(a.msg.Rcode))
	}
	var tk *dns.TKEY
	for _, rr := range a.msg.Answer {
		if t, ok := rr.(*dns.TKEY); ok && dns.CanonicalName(t.Hdr.Name) == name {
			tk = t
		}
	}
	if tk == nil {
		return nil, errors.New("TKEY: the answer has no TKEY record")
	}
	if tk.Error != 0 {
		return nil, fmt.Errorf("TKEY: the server answered %s (the server may not know its service principal, or not accept this client)", rcodeName(int(tk.Error)))
	}
	b, err := hex.DecodeString(tk.Key)
	if err != nil {
		return nil, err
	}
	var rep spnego.KRB5Token
	if err := rep.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("TKEY: the server's token: %w", err)
	}
	if rep.IsKRBError() {
		return nil, fmt.Errorf("TKEY: the server rejected the ticket: %v", rep.KRBError)
	}
	if !rep.IsAPRep() {
		return nil, errors.New("TKEY: the server's token is not an AP-REP")
	}
	plain, err := crypto.DecryptEncPart(rep.APRep.EncPart, sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, fmt.Errorf("TKEY: the server's AP-REP does not decrypt: %w", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return nil, err
	}
	k := &krbContext{name: name, client: cl.Credentials.UserName() + "@" + cl.Credentials.Domain(), key: sessionKey, seq: uint64(apreq.APReq.Authenticator.SeqNumber)}
	if part.Subkey.KeyType != 0 && len(part.Subkey.KeyValue) > 0 {
		k.key, k.subkey = part.Subkey, true
	}
	return k, nil
}

// tkeyQuery builds a TKEY query: the TKEY RR goes in the additional
// section (RFC 2930 4, as Windows requires).
func tkeyQuery(name string, mode uint16, inception, expiration uint32, key []byte) *dns.Msg {
	m := new(dns.Msg)
	m.Id = dns.Id()
	m.Question = []dns.Question{{Name: name, Qtype: dns.TypeTKEY, Qclass: dns.ClassANY}}
	m.Extra = []dns.RR{&dns.TKEY{
		Hdr:       dns.RR_Header{Name: name, Rrtype: dns.TypeTKEY, Class: dns.ClassANY},
		Algorithm: GSSAlgorithm, Mode: mode, Inception: inception, Expiration: expiration,
		KeySize: uint16(len(key)), Key: hex.EncodeToString(key),
	}}
	return m
}

// delete asks the server to forget the context (TKEY mode 5, signed with
// the context itself).
func (k *krbContext) delete(ctx context.Context, server string, timeout time.Duration) error {
	c, err := dial(ctx, server, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	now := uint32(time.Now().Unix())
	a, err := c.exchange(ctx, tkeyQuery(k.name, tkeyModeDelete, now, now, nil), contextSigner{k})
	if err != nil {
		return err
	}
	if a.msg.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("the server answered %s", rcodeName(a.msg.Rcode))
	}
	return nil
}

// contextSigner signs with one context.
type contextSigner struct{ k *krbContext }

func (s contextSigner) Sign(context.Context, string) (string, string, dns.TsigProvider, error) {
	return s.k.name, GSSAlgorithm, s.k, nil
}
func (contextSigner) Close() error { return nil }
