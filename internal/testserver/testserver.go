//go:build !windows

// Package testserver starts real DNS servers (BIND 9, Knot DNS) for tests:
// each runs as a child process on 127.0.0.1 on a free high port, with its
// configuration in the test's temporary directory, and is stopped by PID
// when the test ends.
//
// When a server binary is missing the test is skipped, saying which Debian
// package provides it, unless KMSDNS_REQUIRE_SERVERS is set (as .ci/run
// does), in which case the test fails.
package testserver

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// RequireEnv names the environment variable that turns a missing server
// binary from a skip into a failure.
const RequireEnv = "KMSDNS_REQUIRE_SERVERS"

// Binary returns the path of a server program, looking in PATH and then in
// /usr/sbin and /usr/bin (where Debian installs them). When it is missing
// the test is skipped, or fails when RequireEnv is set.
func Binary(t TB, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("%s not found: install Debian package %s (%s is set, so real-server tests are required)", name, pkg, RequireEnv)
	}
	t.Skipf("%s not found: install Debian package %s to run this real-server test", name, pkg)
	return ""
}

var portMu sync.Mutex

// FreePort returns a port that is free on 127.0.0.1 for both TCP and UDP.
func FreePort(t TB) int {
	t.Helper()
	return FreePortOn(t, "127.0.0.1")
}

// FreePortOn returns a port free for TCP and UDP on every address given.
func FreePortOn(t TB, ips ...string) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for i := 0; i < 100; i++ {
		l, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if portFree(port, ips) {
			return port
		}
	}
	t.Fatalf("no free port on %v", ips)
	return 0
}

func portFree(port int, ips []string) bool {
	var closers []func() error
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for _, ip := range ips {
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		closers = append(closers, l.Close)
		u, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		closers = append(closers, u.Close)
	}
	return true
}

// Server is a running DNS server.
type Server struct {
	// Addr is ip:port, 127.0.0.1 unless asked otherwise.
	Addr string
	// Port is the port it listens on, TCP and UDP.
	Port int
	// Dir holds its configuration, zone files and logs.
	Dir string
	// Name is the program, for messages.
	Name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	// exited is closed when the process has exited.
	exited chan struct{}
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Log returns what the server wrote to stdout and stderr so far.
func (s *Server) Log() string { return s.out.String() }

// start runs the program and registers its stop.
func start(t TB, name, dir, ip string, port int, bin string, args ...string) *Server {
	t.Helper()
	return startEnv(t, name, dir, ip, port, nil, bin, args...)
}

func dialTCP(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, time.Second) }

// startEnv is start with an environment (nil: inherit).
func startEnv(t TB, name, dir, ip string, port int, env []string, bin string, args ...string) *Server {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan struct{})
	s := &Server{Addr: net.JoinHostPort(ip, strconv.Itoa(port)), Port: port, Dir: dir, Name: name, cmd: cmd, out: out, exited: exited}
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("%s (pid %d) log:\n%s", name, cmd.Process.Pid, s.Log())
		}
	})
	return s
}

// WaitZones waits until the server answers SOA queries for every zone
// authoritatively, or fails the test after timeout.
func (s *Server) WaitZones(t TB, timeout time.Duration, zones ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	for _, z := range zones {
		for {
			m := new(dns.Msg)
			m.SetQuestion(dns.Fqdn(z), dns.TypeSOA)
			r, _, err := c.Exchange(m, s.Addr)
			if err == nil && r.Rcode == dns.RcodeSuccess && r.Authoritative {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s on %s did not serve zone %s within %v (last: %v, %v)\n%s", s.Name, s.Addr, z, timeout, r, err, s.Log())
			}
			if s.out.failed() {
				t.Fatalf("%s could not load zone %s:\n%s", s.Name, z, s.Log())
			}
			select {
			case <-s.exited:
				t.Fatalf("%s exited:\n%s", s.Name, s.Log())
			default:
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func writeFile(t TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Key is a TSIG key as servers are configured with it.
type Key struct {
	Name      string // without trailing dot
	Algorithm string // hmac-sha256, ...
	Secret    string // base64
}

// BINDClause renders the key as a named.conf / key-file clause.
func (k Key) BINDClause() string {
	return fmt.Sprintf("key %q {\n\talgorithm %s;\n\tsecret %q;\n};\n", k.Name, k.Algorithm, k.Secret)
}

// WriteKeyFile writes the key as tsig-keygen does, mode 0600, and returns
// the path.
func (k Key) WriteKeyFile(t TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, k.Name+".key")
	writeFile(t, p, k.BINDClause())
	return p
}

// Zone is a zone to serve.
type Zone struct {
	Name string
	// Content is the zone file text. Alternatively File names an existing
	// file to serve (large generated zones).
	Content string
	File    string
	// Transfer lists who may transfer the zone, as named.conf's
	// allow-transfer body ("any;", "key xfr;", "none;"). Default none.
	Transfer string
	// Extra is added inside the zone clause (update-policy, ...).
	Extra string
	// Update names the TSIG key allowed to update the zone (Knot,
	// PowerDNS); BIND takes update-policy in Extra.
	Update string
}

func (z Zone) fileName() string { return z.Name + ".zone" }

func (z Zone) prepare(t TB, dir string) string {
	if z.File != "" {
		return z.File
	}
	p := filepath.Join(dir, z.fileName())
	writeFile(t, p, z.Content)
	return p
}

// BINDConfig configures a named.
type BINDConfig struct {
	Zones []Zone
	Keys  []Key
	// Options is added to the options block.
	Options string
	// Conf is added at the end of named.conf.
	Conf string
	// Files are written into the server's directory before it starts
	// (files a zone $INCLUDEs: BIND reads them relative to its directory).
	Files map[string]string
	// IP to listen on (127.0.0.1 when empty) and Port (a free one when 0).
	IP   string
	Port int
	// Env is named's environment (nil: inherit), e.g. KRB5_CONFIG for
	// GSS-TSIG.
	Env []string
}

// StartBIND starts named with cfg and waits until it serves every zone.
func StartBIND(t TB, cfg BINDConfig) *Server {
	t.Helper()
	bin := Binary(t, "named", "bind9")
	dir := t.TempDir()
	var conf bytes.Buffer
	ip, port := listenAddr(t, cfg.IP, cfg.Port)
	fmt.Fprintf(&conf, `options {
	directory %q;
	pid-file %q;
	%s
	recursion no;
	dnssec-validation no;
	notify no;
	allow-transfer { none; };
	session-keyfile %q;
	managed-keys-directory %q;
	max-records-per-type 0;
	%s
};
controls { };
`, dir, filepath.Join(dir, "named.pid"), listenOn(ip, port), filepath.Join(dir, "session.key"), dir, cfg.Options)
	for _, k := range cfg.Keys {
		conf.WriteString(k.BINDClause())
	}
	for name, content := range cfg.Files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	var names []string
	for _, z := range cfg.Zones {
		transfer := z.Transfer
		if transfer == "" {
			transfer = "none;"
		}
		fmt.Fprintf(&conf, "zone %q {\n\ttype primary;\n\tfile %q;\n\tallow-transfer { %s };\n\t%s\n};\n",
			z.Name, z.prepare(t, dir), transfer, z.Extra)
		names = append(names, z.Name)
	}
	conf.WriteString(cfg.Conf)
	confPath := filepath.Join(dir, "named.conf")
	writeFile(t, confPath, conf.String())
	s := startEnv(t, "named", dir, ip, port, cfg.Env, bin, "-g", "-n", "2", "-c", confPath)
	s.WaitZones(t, 120*time.Second, names...)
	return s
}

// listenAddr defaults a server's address to 127.0.0.1 and its port to a
// free one.
func listenAddr(t TB, ip string, port int) (string, int) {
	if ip == "" {
		ip = "127.0.0.1"
	}
	if port == 0 {
		port = FreePortOn(t, ip)
	}
	return ip, port
}

// listenOn renders named.conf's listen statements for one address.
func listenOn(ip string, port int) string {
	if strings.Contains(ip, ":") {
		return fmt.Sprintf("listen-on { none; };\n\tlisten-on-v6 port %d { %s; };", port, ip)
	}
	return fmt.Sprintf("listen-on port %d { %s; };\n\tlisten-on-v6 { none; };", port, ip)
}

// KnotConfig configures a knotd.
type KnotConfig struct {
	Zones []Zone
	Keys  []Key
	// IP to listen on (127.0.0.1 when empty; Knot, unlike BIND, can listen
	// on any 127.0.0.x) and Port (a free one when 0).
	IP   string
	Port int
}

// StartKnot starts knotd with cfg and waits until it serves every zone.
// A zone's Transfer is "any", "none" or "key NAME".
func StartKnot(t TB, cfg KnotConfig) *Server {
	t.Helper()
	bin := Binary(t, "knotd", "knot")
	dir := t.TempDir()
	ip, port := listenAddr(t, cfg.IP, cfg.Port)
	var conf bytes.Buffer
	fmt.Fprintf(&conf, "server:\n    rundir: %q\n    listen: %s@%d\n\n", socketDir(t, dir), ip, port)
	fmt.Fprintf(&conf, "database:\n    storage: %q\n\n", filepath.Join(dir, "db"))
	fmt.Fprintf(&conf, "log:\n  - target: stderr\n    any: info\n\n")
	if len(cfg.Keys) > 0 {
		conf.WriteString("key:\n")
		for _, k := range cfg.Keys {
			fmt.Fprintf(&conf, "  - id: %s\n    algorithm: %s\n    secret: %s\n", k.Name, k.Algorithm, k.Secret)
		}
		conf.WriteString("\n")
	}
	conf.WriteString("acl:\n  - id: xfr-any\n    address: 127.0.0.0/8\n    action: transfer\n")
	for _, k := range cfg.Keys {
		fmt.Fprintf(&conf, "  - id: xfr-%s\n    key: %s\n    action: transfer\n", k.Name, k.Name)
		fmt.Fprintf(&conf, "  - id: upd-%s\n    key: %s\n    action: update\n", k.Name, k.Name)
	}
	conf.WriteString("\ntemplate:\n  - id: default\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n\nzone:\n")
	var names []string
	for _, z := range cfg.Zones {
		fmt.Fprintf(&conf, "  - domain: %s\n    file: %q\n", z.Name, z.prepare(t, dir))
		var acls []string
		switch tr := z.Transfer; {
		case tr == "any":
			acls = append(acls, "xfr-any")
		case strings.HasPrefix(tr, "key "):
			acls = append(acls, "xfr-"+strings.TrimPrefix(tr, "key "))
		}
		if z.Update != "" {
			acls = append(acls, "upd-"+z.Update)
		}
		if len(acls) > 0 {
			fmt.Fprintf(&conf, "    acl: [%s]\n", strings.Join(acls, ", "))
		}
		names = append(names, z.Name)
	}
	confPath := filepath.Join(dir, "knot.conf")
	writeFile(t, confPath, conf.String())
	s := start(t, "knotd", dir, ip, port, bin, "-c", confPath)
	s.WaitZones(t, 120*time.Second, names...)
	return s
}

// PortString returns the port as a string, for zone.ReadOptions.Port.
func (s *Server) PortString() string { return strconv.Itoa(s.Port) }

// lockedBuffer keeps the last logMax bytes a server wrote, and whether it
// ever said it could not load a zone.
type lockedBuffer struct {
	mu         sync.Mutex
	b          bytes.Buffer
	loadFailed bool
}

const logMax = 256 << 10

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if bytes.Contains(p, []byte("not loaded due to errors")) || bytes.Contains(p, []byte("failed to load zone")) {
		l.loadFailed = true
	}
	if l.b.Len()+len(p) > logMax {
		keep := l.b.Bytes()[l.b.Len()/2:]
		rest := append([]byte("[... earlier log dropped ...]\n"), keep...)
		l.b.Reset()
		l.b.Write(rest)
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) failed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loadFailed
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// PowerDNSConfig configures a pdns_server with the gsqlite3 backend.
type PowerDNSConfig struct {
	Zones []Zone
	Keys  []Key
}

// StartPowerDNS starts pdns_server with an SQLite database holding the
// zones (loaded with pdnsutil), dynamic updates on, and each zone's
// Update key allowed to update it (TSIG-ALLOW-DNSUPDATE).
func StartPowerDNS(t TB, cfg PowerDNSConfig) *Server {
	t.Helper()
	bin := Binary(t, "pdns_server", "pdns-server")
	util := Binary(t, "pdnsutil", "pdns-server")
	sqlite := Binary(t, "sqlite3", "sqlite3")
	schema := "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"
	if _, err := os.Stat(schema); err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%s: install Debian package pdns-backend-sqlite3", schema)
		}
		t.Skipf("%s not found: install Debian package pdns-backend-sqlite3", schema)
	}
	dir := t.TempDir()
	port := FreePort(t)
	db := filepath.Join(dir, "pdns.sqlite3")
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run(sqlite, "-init", schema, db, ".quit")
	conf := fmt.Sprintf(`launch=gsqlite3
gsqlite3-database=%s
local-address=127.0.0.1
local-port=%d
socket-dir=%s
guardian=no
daemon=no
write-pid=no
dnsupdate=yes
allow-dnsupdate-from=127.0.0.0/8
allow-axfr-ips=127.0.0.0/8
disable-axfr=no
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
zone-cache-refresh-interval=0
loglevel=6
`, db, port, socketDir(t, dir))
	writeFile(t, filepath.Join(dir, "pdns.conf"), conf)
	cd := "--config-dir=" + dir
	for _, k := range cfg.Keys {
		run(util, cd, "import-tsig-key", k.Name, k.Algorithm, k.Secret)
	}
	var names []string
	for _, z := range cfg.Zones {
		run(util, cd, "load-zone", z.Name, z.prepare(t, dir))
		if z.Update != "" {
			run(util, cd, "set-meta", z.Name, "TSIG-ALLOW-DNSUPDATE", z.Update)
		}
		names = append(names, z.Name)
	}
	s := start(t, "pdns_server", dir, "127.0.0.1", port, bin, cd)
	s.WaitZones(t, 60*time.Second, names...)
	return s
}

// socketDir is dir, or a short directory of its own under /tmp when dir is
// too long for the UNIX sockets a server makes there (sun_path holds 108
// bytes: a long $TMPDIR, or a test's long name, would make the server exit).
func socketDir(t TB, dir string) string {
	if len(dir) <= 60 {
		return dir
	}
	short, err := os.MkdirTemp("/tmp", "kd")
	if err != nil {
		t.Fatalf("a short socket directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(short) })
	return short
}
