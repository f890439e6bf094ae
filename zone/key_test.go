package zone

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/miekg/dns"
)

func TestParseKeys(t *testing.T) {
	// As tsig-keygen writes it, with comments of every kind.
	text := `# written by tsig-keygen
key "xfr-key" {
	algorithm hmac-sha256;
	secret "8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks=";
};
/* a second key */
key upd.example.com. { algorithm HMAC-MD5.SIG-ALG.REG.INT; secret "c2VjcmV0"; }; // md5
key "k1" { algorithm hmac-sha1; secret "c2VjcmV0"; };
key "k224" { algorithm hmac-sha224; secret "c2VjcmV0"; };
key "k384" { algorithm hmac-sha384; secret "c2VjcmV0"; };
key "k512" { algorithm hmac-sha512; secret "c2VjcmV0"; };
`
	keys, err := ParseKeys(strings.NewReader(text), "test.key")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, alg string }{
		{"xfr-key.", dns.HmacSHA256}, {"upd.example.com.", dns.HmacMD5}, {"k1.", dns.HmacSHA1},
		{"k224.", dns.HmacSHA224}, {"k384.", dns.HmacSHA384}, {"k512.", dns.HmacSHA512},
	}
	if len(keys) != len(want) {
		t.Fatalf("%d keys", len(keys))
	}
	for i, w := range want {
		if keys[i].Name != w.name || keys[i].Algorithm != w.alg {
			t.Errorf("key %d = %s %s, want %s %s", i, keys[i].Name, keys[i].Algorithm, w.name, w.alg)
		}
	}
	k, err := FindKey(keys, "UPD.example.com", "test.key")
	if err != nil || k.Name != "upd.example.com." {
		t.Errorf("FindKey: %v %v", k, err)
	}
	if _, err := FindKey(keys, "", "test.key"); err == nil || !strings.Contains(err.Error(), "holds 6 keys") {
		t.Errorf("FindKey without a name: %v", err)
	}
	if _, err := FindKey(keys, "nope", "test.key"); err == nil || !strings.Contains(err.Error(), `no key named "nope"`) {
		t.Errorf("FindKey unknown: %v", err)
	}
}

func TestParseKeysErrors(t *testing.T) {
	secret := "8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="
	tests := []struct{ name, text, want string }{
		{"empty", "# nothing\n", "no key clause"},
		{"bad algorithm", "key k {\n algorithm hmac-sha3;\n secret \"c2VjcmV0\";\n};\n", "test.key:1: key clause of line 1: unsupported algorithm (use hmac-md5"},
		{"bad secret", "key k { algorithm hmac-sha256; secret \"!!\"; };", "not valid base64"},
		{"no secret", "key k {\n algorithm hmac-sha256;\n};", "test.key:1: key clause of line 1 has no secret"},
		{"missing semicolon", "key k {\n algorithm hmac-sha256\n secret \"c2VjcmV0\";\n};", `test.key:3: expected ";", found a word`},
		{"unterminated", "key k { algorithm hmac-sha256; secret \"c2Vj", "unterminated quoted string"},
		{"unknown statement", "key k {\n\n port 53;\n};", "test.key:3: key clause of line 1: expected algorithm or secret, found a word"},
		{"twice", "key k { algorithm hmac-sha256; secret \"c2VjcmV0\"; };\nkey k { algorithm hmac-sha256; secret \"c2VjcmV0\"; };", "test.key:2: key clause of line 2: a key of the same name is defined at line 1"},
		{"not a key", "options { };", `test.key:1: expected a key clause (key "name" { algorithm ...; secret "..."; };), found a word`},
		{"a raw secret given as the key file", secret + "\n", "test.key:1: expected a key clause"},
		{"a quoted secret given as the key file", "\"" + secret + "\";\n", "test.key:1: expected a key clause"},
		{"a secret where the name goes", "key \"" + secret + secret + "\" { algorithm hmac-sha256; secret \"" + secret + "\"; };", "key clause of line 1: not a valid key name"},
		{"too large", strings.Repeat("#", MaxKeyFileSize+1), "larger than 65536 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKeys(strings.NewReader(tc.text), "test.key")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "c2VjcmV0") || strings.Contains(err.Error(), secret[:8]) {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}

func TestReadKeyFileDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := ReadKeyFile("/dev/zero")
	if !errors.Is(err, regfile.ErrNotRegular) || !strings.Contains(err.Error(), "key file: open /dev/zero: not a regular file (a character device)") {
		t.Fatalf("err = %v", err)
	}
	// A regular file over the cap is refused too, without reading on.
	big := filepath.Join(t.TempDir(), "big.key")
	os.WriteFile(big, bytes.Repeat([]byte("#"), MaxKeyFileSize+1), 0o600)
	if _, err := ReadKeyFile(big); err == nil || !strings.Contains(err.Error(), "big.key: larger than") {
		t.Fatalf("big: err = %v", err)
	}
}

func TestKeyNeverPrintsSecret(t *testing.T) {
	k, err := NewKey("xfr", "hmac-sha256", "c2VjcmV0LXNlY3JldA==")
	if err != nil {
		t.Fatal(err)
	}
	type holder struct{ K Key }
	for _, s := range []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k),
		fmt.Sprintf("%v %+v %#v", holder{k}, holder{k}, holder{k}),
	} {
		if strings.Contains(s, "c2VjcmV0") {
			t.Errorf("secret printed: %s", s)
		}
	}
}

// keyErrorWords is every text ParseKeys writes into its errors: any other
// run of bytes in an error came from the input.
const keyErrorWords = `f: expected a key clause (key "name" { algorithm ...; secret "..."; };), found a word a quoted string end of file ` +
	`key clause without a name key clause of line : missing closing brace expected algorithm or secret, found ` +
	`algorithm without a value secret without a value expected ";" "{" "}" has no algorithm has no secret ` +
	`empty key name not a valid key name unsupported algorithm (use hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512) ` +
	`secret is not valid base64 empty secret a key of the same name is defined at line no key clause found ` +
	`unterminated /* comment unterminated quoted string unexpected '/' larger than 65536 bytes: not a key file`

// FuzzParseKeys checks that ParseKeys either returns keys or an error,
// and that no error quotes the input: no run of more than 5 bytes of the
// input appears in an error unless ParseKeys's own wording has it.
func FuzzParseKeys(f *testing.F) {
	f.Add(`key "k" { algorithm hmac-sha256; secret "c2VjcmV0"; };`)
	f.Add("/* x */ key k { algorithm hmac-md5; secret \"\"; }; # y")
	f.Add("8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks=")
	f.Add(`key "k" { algorithm "8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="; secret x; };`)
	f.Add(`key "8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks=" { algorithm hmac-sha256; secret "!x"; };`)
	f.Add("key k { algorithm hmac-sha256; secret \"c2VjcmV0\"; 8JvDZ0ZyN8gBq1dW secret; };")
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ParseKeys(strings.NewReader(s), "f")
		if err == nil {
			if len(keys) == 0 {
				t.Fatal("no error and no keys")
			}
			return
		}
		msg := err.Error()
		const n = 6
		for i := 0; i+n <= len(s); i++ {
			w := s[i : i+n]
			if strings.Contains(msg, w) && !strings.Contains(keyErrorWords, w) && strings.Trim(w, "0123456789 :") != "" {
				t.Fatalf("error %q quotes %q of the input", msg, w)
			}
		}
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add("$ORIGIN f.example.\n@ 60 IN SOA ns hm 1 1 1 1 1\n_vlmcs._tcp 60 IN SRV 0 0 1688 kms\n")
	f.Add("; Database file f.example.dns for f.example zone.\n@ IN SOA ns hm ( 1 1 1 1 1 )\n_vlmcs._tcp [AGE:12] 60 SRV 0 0 1688 kms\n@ WINS L2 C900 ( 127.0.0.1 )\n")
	f.Fuzz(func(t *testing.T, s string) {
		res, err := ParseFile(strings.NewReader(s), "", "fuzz.zone")
		if err != nil {
			return
		}
		for _, r := range res.Records {
			if !IsKMSName(r.Name) || r.Name != strings.ToLower(r.Name) || !dns.IsFqdn(r.Target) {
				t.Fatalf("bad record %v", r)
			}
		}
	})
}

func FuzzScanName(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("_VLMCS._tcp.sub.example.", dns.TypeSRV)
	m.Answer = []dns.RR{&dns.SRV{Hdr: dns.RR_Header{Name: "_vlmcs._tcp.sub.example.", Rrtype: dns.TypeSRV, Class: dns.ClassINET}, Target: "kms.sub.example."}}
	b, _ := m.Pack()
	f.Add(b)
	f.Fuzz(func(t *testing.T, msg []byte) {
		// scanName must agree with a full unpack about where names end and
		// whether they are KMS names.
		if len(msg) < headerLen+1 {
			return
		}
		end, kms, err := scanName(msg, headerLen)
		name, end2, err2 := dns.UnpackDomainName(msg, headerLen)
		if err2 != nil {
			return
		}
		if err != nil {
			t.Fatalf("scanName failed on %q: %v", name, err)
		}
		if end != end2 || kms != IsKMSName(name) {
			t.Fatalf("%q: scanName end %d kms %v, unpack end %d", name, end, kms, end2)
		}
	})
}

func TestQualify(t *testing.T) {
	if got := Qualify("emea", "contoso.com"); got != "emea.contoso.com." {
		t.Errorf("Qualify: %q", got)
	}
	for in, want := range map[string]string{"": "contoso.com.", "@": "contoso.com.", "emea.contoso.com": "emea.contoso.com.", "other.example.": "other.example."} {
		if got := Qualify(in, "contoso.com."); got != want {
			t.Errorf("Qualify(%q) = %q, want %q", in, got, want)
		}
	}
}
