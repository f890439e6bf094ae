//go:build !windows

package testserver

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Samba is a running Samba Active Directory domain controller: the DNS
// server of an AD-integrated zone (secure-only dynamic updates, zone
// transfers refused, records owned by the account that created them) and
// the domain's Kerberos KDC, as Windows DNS on a DC behaves.
//
// The KDC listens on port 88, which Samba cannot move, so the DC gets a
// loopback address of its own (127.0.0.x); DNS listens there on port 53
// when that is free.
type Samba struct {
	*Server
	// IP is the DC's loopback address; Host its name (dc1.<realm>),
	// which the zone's SOA MNAME names and the KDC knows as DNS/<Host>.
	IP, Host string
	// Realm is the Kerberos realm (upper case); Zone the AD DNS zone
	// (lower case, no trailing dot); Domain the NetBIOS domain name.
	Realm, Zone, Domain string
	// AdminPassword is administrator's password.
	AdminPassword string
	// Krb5Conf is a krb5.conf whose KDC is this DC.
	Krb5Conf string
	// ProvisionTime and StartTime measure samba-tool domain provision and
	// the time until the DC answered DNS and Kerberos.
	ProvisionTime, StartTime time.Duration

	smbConf string
	tool    string
	env     []string
}

// SambaRealm, SambaZone and SambaDomain name the test domain.
const (
	SambaRealm  = "CORP.CONTOSO.TEST"
	SambaZone   = "corp.contoso.test"
	SambaDomain = "CORP"
)

// sambaFirstIP and sambaLastIP bound the loopback addresses tried for a DC.
const (
	sambaFirstIP = 120
	sambaLastIP  = 139
)

// StartSamba provisions a domain in a temporary directory and starts a DC
// for it on a loopback address of its own, adding that address to lo
// (needs root) when it is missing. Without samba, or when the address
// cannot be added, the test is skipped (fails with RequireEnv).
func StartSamba(t TB) *Samba {
	t.Helper()
	bin := Binary(t, "samba", "samba-ad-dc")
	tool := Binary(t, "samba-tool", "samba-ad-provision")
	Binary(t, "kinit", "krb5-user")
	ip := sambaAddress(t)
	dir := t.TempDir()
	s := &Samba{IP: ip, Host: "dc1." + SambaZone, Realm: SambaRealm, Zone: SambaZone, Domain: SambaDomain,
		AdminPassword: "Kmsdns-Adm1n-" + strconv.Itoa(os.Getpid()), tool: tool}
	start := time.Now()
	prov := exec.Command(tool, "domain", "provision", "--targetdir="+dir, "--realm="+s.Realm, "--domain="+s.Domain,
		"--server-role=dc", "--dns-backend=SAMBA_INTERNAL", "--host-name=dc1", "--host-ip="+ip,
		"--option=interfaces="+ip, "--option=bind interfaces only=yes", "--adminpass="+s.AdminPassword)
	empty := filepath.Join(t.TempDir(), "krb5.conf")
	writeFile(t, empty, "")
	prov.Env = append(os.Environ(), "KRB5_CONFIG="+empty)
	if out, err := prov.CombinedOutput(); err != nil {
		t.Fatalf("samba-tool domain provision: %v\n%s", err, out)
	}
	s.ProvisionTime = time.Since(start)
	port := 53
	if !portFree(port, []string{ip}) {
		port = FreePortOn(t, ip)
	}
	s.smbConf = filepath.Join(dir, "etc", "smb.conf")
	conf, err := os.ReadFile(s.smbConf)
	if err != nil {
		t.Fatal(err)
	}
	// Only loopback: no forwarder (provision writes the host's resolver),
	// only the KDC and DNS, logs in the directory.
	for _, d := range []string{"run", "ncalrpc", "winbindd"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	text := regexp.MustCompile(`(?m)^\s*(dns forwarder|log file|logging)\s*=.*$`).ReplaceAllString(string(conf), "")
	text = strings.Replace(text, "[global]", fmt.Sprintf(`[global]
	dns forwarder =
	server services = kdc dns
	allow dns updates = secure only
	dns port = %d
	log file = %s
	logging = file
	pid directory = %s
	ncalrpc dir = %s
	winbindd socket directory = %s`, port, filepath.Join(dir, "log.%m"), filepath.Join(dir, "run"), filepath.Join(dir, "ncalrpc"), filepath.Join(dir, "winbindd")), 1)
	writeFile(t, s.smbConf, text)
	s.Krb5Conf = filepath.Join(dir, "krb5.conf")
	writeFile(t, s.Krb5Conf, fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
	ticket_lifetime = 1h

[realms]
	%[1]s = {
		kdc = %[2]s:88
	}

[domain_realm]
	.%[3]s = %[1]s
	%[3]s = %[1]s
`, s.Realm, ip, s.Zone))
	// samba-tool run without -s reads SMB_CONF_PATH: commands printed
	// for a DC's administrator run here as printed.
	s.env = append(os.Environ(), "KRB5_CONFIG="+s.Krb5Conf, "SMB_CONF_PATH="+s.smbConf)
	start = time.Now()
	s.Server = startEnv(t, "samba", dir, ip, port, s.env, bin, "-i", "-M", "single", "-s", s.smbConf)
	s.WaitZones(t, 60*time.Second, s.Zone)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := dialTCP(net.JoinHostPort(ip, "88")); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("samba's KDC did not start on %s:88:\n%s", ip, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.StartTime = time.Since(start)
	t.Logf("samba AD DC on %s: provisioned in %v, serving in %v", s.Addr, s.ProvisionTime.Round(time.Millisecond), s.StartTime.Round(time.Millisecond))
	return s
}

// sambaAddress picks a loopback address for a DC, free on ports 53 and 88
// and not taken by another test process (a lock file held until the test
// ends), and makes sure lo carries it.
func sambaAddress(t TB) string {
	t.Helper()
	for i := sambaFirstIP; i <= sambaLastIP; i++ {
		ip := "127.0.0." + strconv.Itoa(i)
		f, err := os.OpenFile(filepath.Join(os.TempDir(), "kmsdns-samba-"+ip+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		if !portFree(88, []string{ip}) {
			f.Close()
			continue
		}
		t.Cleanup(func() { f.Close() })
		if !hasAddr(ip) {
			ipBin := Binary(t, "ip", "iproute2")
			if out, err := exec.Command(ipBin, "addr", "add", ip+"/32", "dev", "lo").CombinedOutput(); err != nil {
				msg := fmt.Sprintf("the Samba DC needs loopback address %s of its own (its KDC port 88 cannot be moved), and adding it to lo failed (run as root): %v %s", ip, err, strings.TrimSpace(string(out)))
				if os.Getenv(RequireEnv) != "" {
					t.Fatalf("%s", msg)
				}
				t.Skipf("%s", msg)
			}
			t.Cleanup(func() { exec.Command(ipBin, "addr", "del", ip+"/32", "dev", "lo").Run() })
		}
		return ip
	}
	t.Fatalf("no free loopback address 127.0.0.%d-%d for a Samba DC", sambaFirstIP, sambaLastIP)
	return ""
}

// hasAddr reports whether an interface carries ip.
func hasAddr(ip string) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == ip {
			ones, _ := n.Mask.Size()
			if ones == 32 {
				return true
			}
		}
	}
	return false
}

// Tool runs samba-tool against the DC's database and returns its output.
func (s *Samba) Tool(t TB, args ...string) string {
	t.Helper()
	args = append(args, "-s", s.smbConf)
	cmd := exec.Command(s.tool, args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("samba-tool %s: %v\n%s", strings.Join(redact(args), " "), err, out)
	}
	return string(out)
}

// redact hides password arguments in messages.
func redact(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if k, _, ok := strings.Cut(a, "="); ok && strings.Contains(k, "pass") {
			a = k + "=…"
		}
		out[i] = a
	}
	return out
}

// SamDB is the path of the DC's directory database (for -H).
func (s *Samba) SamDB() string { return filepath.Join(s.Dir, "private", "sam.ldb") }

// AddUser creates a domain user with a password.
func (s *Samba) AddUser(t TB, name, password string) {
	t.Helper()
	s.Tool(t, "user", "create", name, password)
}

// AddComputer creates a computer account NAME$ and sets its password, so
// that a test can log in as the machine, as a KMS host does.
func (s *Samba) AddComputer(t TB, name, password string) {
	t.Helper()
	s.Tool(t, "computer", "create", name)
	s.Tool(t, "user", "setpassword", strings.ToUpper(name)+"$", "--newpassword="+password)
}

// AddGroup creates a security group with members (sAMAccountNames, e.g.
// KMS1$).
func (s *Samba) AddGroup(t TB, name string, members ...string) {
	t.Helper()
	s.Tool(t, "group", "add", name)
	if len(members) > 0 {
		s.Tool(t, "group", "addmembers", name, strings.Join(members, ","))
	}
}

var sidRE = regexp.MustCompile(`(?m)^objectSid: (S-[0-9-]+)`)

// SID returns the objectSid of a group.
func (s *Samba) SID(t TB, group string) string {
	t.Helper()
	out := s.Tool(t, "group", "show", group, "--attributes=objectSid")
	m := sidRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no objectSid for %s in:\n%s", group, out)
	}
	return m[1]
}

// NodeDN is the distinguished name of a name's dnsNode in the AD zone
// (name relative to the zone, e.g. _vlmcs._tcp.site2).
func (s *Samba) NodeDN(rel string) string {
	var dc []string
	for _, l := range strings.Split(strings.ToLower(s.Realm), ".") {
		dc = append(dc, "DC="+l)
	}
	return fmt.Sprintf("DC=%s,DC=%s,CN=MicrosoftDNS,DC=DomainDnsZones,%s", rel, s.Zone, strings.Join(dc, ","))
}

// DSACLSetArgs are the samba-tool arguments that add an ACE (SDDL) to an
// object's security descriptor, as an administrator would run them.
func (s *Samba) DSACLSetArgs(objectDN, sddl string) []string {
	return []string{"dsacl", "set", "-H", s.SamDB(), "--objectdn=" + objectDN, "--sddl=" + sddl}
}

// DSACLSet adds an ACE to an object's security descriptor.
func (s *Samba) DSACLSet(t TB, objectDN, sddl string) {
	t.Helper()
	s.Tool(t, s.DSACLSetArgs(objectDN, sddl)...)
}

// Kinit logs principal in with password into a new credential cache and
// returns it as KRB5CCNAME takes it (FILE:path).
func (s *Samba) Kinit(t TB, principal, password string) string {
	t.Helper()
	kinit := Binary(t, "kinit", "krb5-user")
	cc := "FILE:" + filepath.Join(t.TempDir(), "ccache")
	if !strings.Contains(principal, "@") {
		principal += "@" + s.Realm
	}
	cmd := exec.Command(kinit, principal)
	cmd.Env = append(s.env, "KRB5CCNAME="+cc)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit %s: %v\n%s", principal, err, out)
	}
	return cc
}

// Env is the environment a Kerberos program needs to use this domain,
// and samba-tool to find the DC's configuration (SMB_CONF_PATH).
func (s *Samba) Env() []string { return s.env }

// SharedSamba starts one DC for a whole test package on first use and
// keeps it until Stop, which TestMain calls after the tests ran:
// provisioning takes seconds, so the package's tests share the domain
// (each uses its own names in it).
type SharedSamba struct {
	once  sync.Once
	owner *owner
	s     *Samba
	err   string
	skip  bool
}

// Get returns the package's DC, starting it the first time. A failure to
// start fails (or skips) every test that asks for it.
func (o *SharedSamba) Get(t TB) *Samba {
	t.Helper()
	o.once.Do(func() {
		o.owner = &owner{}
		defer func() {
			if r := recover(); r != nil {
				a, ok := r.(abort)
				if !ok {
					panic(r)
				}
				o.err, o.skip, o.s = a.msg, a.skip, nil
			}
		}()
		o.s = StartSamba(o.owner)
	})
	switch {
	case o.s != nil:
		return o.s
	case o.skip:
		t.Skipf("%s", o.err)
	default:
		t.Fatalf("starting the Samba DC: %s", o.err)
	}
	return nil
}

// Stop stops the DC (by PID) and removes its files, if it was started.
func (o *SharedSamba) Stop() {
	if o.owner != nil {
		o.owner.close()
	}
}

// owner is a TB that lives as long as a SharedSamba.
type owner struct {
	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

// abort carries a Fatal or Skip out of StartSamba.
type abort struct {
	msg  string
	skip bool
}

func (o *owner) Helper()           {}
func (o *owner) Fatal(args ...any) { o.failed = true; panic(abort{msg: fmt.Sprint(args...)}) }
func (o *owner) Fatalf(format string, args ...any) {
	o.failed = true
	panic(abort{msg: fmt.Sprintf(format, args...)})
}
func (o *owner) Skipf(format string, args ...any) {
	panic(abort{msg: fmt.Sprintf(format, args...), skip: true})
}
func (o *owner) Logf(format string, args ...any) {
	if os.Getenv("KMSDNS_TEST_VERBOSE") != "" {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}
func (o *owner) Cleanup(f func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cleanups = append(o.cleanups, f)
}
func (o *owner) Failed() bool { return o.failed }
func (o *owner) TempDir() string {
	d, err := os.MkdirTemp("", "kmsdns-samba-")
	if err != nil {
		o.Fatal(err)
	}
	o.Cleanup(func() { os.RemoveAll(d) })
	return d
}
func (o *owner) close() {
	o.mu.Lock()
	cs := o.cleanups
	o.cleanups = nil
	o.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

var _ TB = (*owner)(nil)

// Query asks the DC for name's records of type qtype (its zone refuses
// AXFR, so tests read records back name by name).
func (s *Samba) Query(t TB, name string, qtype uint16) []dns.RR {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, s.Addr)
	if err != nil {
		t.Fatalf("query %s %s at %s: %v", name, dns.TypeToString[qtype], s.Addr, err)
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		t.Fatalf("query %s %s at %s: %s", name, dns.TypeToString[qtype], s.Addr, dns.RcodeToString[r.Rcode])
	}
	return r.Answer
}
