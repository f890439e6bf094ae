package publish

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/miekg/dns"
)

// OwnershipError is a GSS-TSIG update of a name that already exists,
// refused by a server that keeps permissions per name: in an Active
// Directory-integrated zone with secure-only updates (Windows DNS, Samba)
// each name is a dnsNode object owned by the account that registered it
// first, and only that account (and administrators) may change it. Windows
// answers REFUSED, Samba SERVFAIL.
//
// This is why, in an AD domain, only the first KMS host can register
// _vlmcs._tcp: every other host's computer account is refused too.
type OwnershipError struct {
	*UpdateError
	// Account is the account kmsdns signed as (user@REALM).
	Account string
	// Names are the names that existed and were to be changed.
	Names []string
}

// GroupName is the AD group the suggested fix gives Full Control over a
// name; it holds the KMS hosts' computer accounts.
const GroupName = "KMS Hosts"

// Unwrap returns the server's refusal.
func (e *OwnershipError) Unwrap() error { return e.UpdateError }

// explainRefusal turns a GSS-TSIG update refused on a name that already
// exists into an OwnershipError; other refusals are returned as they are.
func explainRefusal(p *ZonePlan, s Signer, ue *UpdateError) error {
	g, ok := s.(*GSS)
	if !ok || ue.TSIGError != 0 || (ue.Rcode != dns.RcodeRefused && ue.Rcode != dns.RcodeServerFailure) {
		return ue
	}
	var names []string
	for name, recs := range p.Current {
		if len(recs) > 0 {
			names = append(names, strings.TrimSuffix(name, "."))
		}
	}
	if len(names) == 0 {
		return ue
	}
	slices.Sort(names)
	account := g.Account(ue.Server)
	if account == "" {
		if user, realm, err := g.userRealm(); err == nil {
			account = user + "@" + realm
		} else {
			account = g.credential()
		}
	}
	return &OwnershipError{UpdateError: ue, Account: account, Names: names}
}

// realm is the account's realm (the AD domain's DNS name, upper case).
func (e *OwnershipError) realm() string {
	if _, r, ok := strings.Cut(e.Account, "@"); ok {
		return r
	}
	return strings.ToUpper(strings.TrimSuffix(e.Zone, "."))
}

// user is the account without its realm.
func (e *OwnershipError) user() string {
	u, _, _ := strings.Cut(e.Account, "@")
	return u
}

// NodeDN is the distinguished name of name's dnsNode object, for a zone
// stored in the domain's DomainDnsZones partition (the default for AD
// zones): DC=<name relative to the zone>,DC=<zone>,CN=MicrosoftDNS,
// DC=DomainDnsZones,DC=<domain labels>.
func (e *OwnershipError) NodeDN(name string) string {
	z := strings.TrimSuffix(dns.CanonicalName(e.Zone), ".")
	rel := strings.TrimSuffix(strings.TrimSuffix(dns.CanonicalName(name), "."), "."+z)
	var dcs []string
	for _, l := range strings.Split(strings.ToLower(e.realm()), ".") {
		dcs = append(dcs, "DC="+l)
	}
	return fmt.Sprintf("DC=%s,DC=%s,CN=MicrosoftDNS,DC=DomainDnsZones,%s", rel, z, strings.Join(dcs, ","))
}

// SambaCommands are the commands that fix the refusal on a Samba DC (run
// as root on the DC): a group of the KMS hosts' computer accounts with
// Full Control (GA) on each name's dnsNode.
func (e *OwnershipError) SambaCommands() []string {
	cmds := []string{
		fmt.Sprintf("samba-tool group add '%s'", GroupName),
		fmt.Sprintf("samba-tool group addmembers '%s' '%s'", GroupName, e.user()),
	}
	sid := fmt.Sprintf(`$(samba-tool group show '%s' --attributes=objectSid | sed -n 's/^objectSid: //p')`, GroupName)
	for _, n := range e.Names {
		cmds = append(cmds, fmt.Sprintf(`samba-tool dsacl set --objectdn='%s' --sddl="(A;;GA;;;%s)"`, e.NodeDN(n), sid))
	}
	return cmds
}

// WindowsCommands are the PowerShell commands (ActiveDirectory module, as
// a domain admin) that fix the refusal on Windows.
func (e *OwnershipError) WindowsCommands() []string {
	cmds := []string{
		fmt.Sprintf("New-ADGroup -Name '%s' -GroupScope Global -GroupCategory Security", GroupName),
		fmt.Sprintf("Add-ADGroupMember -Identity '%s' -Members '%s'", GroupName, e.user()),
	}
	for _, n := range e.Names {
		cmds = append(cmds, fmt.Sprintf(`$p = 'AD:\%s'; $acl = Get-Acl $p; $acl.AddAccessRule((New-Object System.DirectoryServices.ActiveDirectoryAccessRule (Get-ADGroup '%s').SID, 'GenericAll', 'Allow')); Set-Acl $p $acl`,
			e.NodeDN(n), GroupName))
	}
	return cmds
}

// DsaclsCommands are the same fix with dsacls (cmd.exe, as a domain
// admin).
func (e *OwnershipError) DsaclsCommands() []string {
	var cmds []string
	for _, n := range e.Names {
		cmds = append(cmds, fmt.Sprintf(`dsacls "%s" /G "%%USERDOMAIN%%\%s:GA"`, e.NodeDN(n), GroupName))
	}
	return cmds
}

func (e *OwnershipError) Error() string {
	var b strings.Builder
	names := strings.Join(e.Names, ", ")
	fmt.Fprintf(&b, "%s answered %s to the update of %s in zone %s, signed as %s: %s already exists, and in an Active Directory zone with secure-only updates a name is owned by the account that registered it first (often the first KMS host's computer account); only that account and administrators may change it. Every other KMS host will fail to register here too.",
		e.Server, dnsx.RcodeName(e.Rcode), names, strings.TrimSuffix(e.Zone, "."), e.Account, names)
	b.WriteString(" Fix: give a group of the KMS hosts' computer accounts Full Control on the name's dnsNode, or publish the record once as a domain admin with kmsdns (--principal administrator).")
	b.WriteString("\n  Windows (PowerShell, ActiveDirectory module; add every KMS host's computer account to the group):")
	for _, c := range e.WindowsCommands() {
		b.WriteString("\n    " + c)
	}
	b.WriteString("\n  or with dsacls (cmd.exe):")
	for _, c := range e.DsaclsCommands() {
		b.WriteString("\n    " + c)
	}
	b.WriteString("\n  Samba AD DC (as root on the DC):")
	for _, c := range e.SambaCommands() {
		b.WriteString("\n    " + c)
	}
	if e.Rcode == dns.RcodeRefused {
		// BIND, Knot and PowerDNS refuse for their own reasons.
		b.WriteString("\n  If this is not an Active Directory zone: " + e.UpdateError.Error())
	}
	return b.String()
}
