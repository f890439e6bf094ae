package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// checkShape walks the YAML document against the Go type it is decoded
// into, before decoding, so that a mistake is reported in the words of the
// file: the field's path (zones[1].names), its line, what was expected and
// what was found, and for an unknown field the closest known one. It
// catches what yaml would report as "cannot unmarshal !!str into
// []string".
func checkShape(n *yaml.Node, t reflect.Type, path string) error {
	for n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode {
		if n.Kind == yaml.DocumentNode {
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		} else {
			if n.Alias == nil {
				return nil
			}
			n = n.Alias
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // an empty value: the field keeps its zero value
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	mismatch := func() error {
		return &ShapeError{Line: n.Line, Path: path, Expected: expected(t), Found: found(n)}
	}
	if t == reflect.TypeOf(Duration(0)) {
		if n.Kind != yaml.ScalarNode {
			return mismatch()
		}
		if d, err := time.ParseDuration(n.Value); err != nil || d < 0 {
			return mismatch()
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return mismatch()
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				e := &UnknownFieldError{Line: k.Line, Path: path, Field: k.Value, BelongsUnder: belongsUnder(t, path, k.Value)}
				if e.BelongsUnder == "" {
					e.Suggestion = Closest(k.Value, names)
				}
				return e
			}
			if err := checkShape(v, ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return mismatch()
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if err := checkShape(k, t.Key(), join(path, k.Value)); err != nil {
				return err
			}
			if err := checkShape(v, t.Elem(), join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return mismatch()
		}
		for i, c := range n.Content {
			if err := checkShape(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int64, reflect.Uint16, reflect.Uint32:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return mismatch()
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return mismatch()
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return mismatch()
		}
	}
	return nil
}

// sections are the mappings of the file a field may be misplaced between.
var sections = []struct {
	kind string
	t    reflect.Type
}{
	{"top", reflect.TypeOf(File{})},
	{"defaults", reflect.TypeOf(Defaults{})},
	{"policy", reflect.TypeOf(Policy{})},
	{"zone", reflect.TypeOf(Zone{})},
	{"update", reflect.TypeOf(Update{})},
}

// knownField returns the field of struct t that field names, spelt as
// the file spells it, matching case and "_" for "-", or "".
func knownField(t reflect.Type, field string) string {
	norm := strings.ReplaceAll(strings.ToLower(field), "_", "-")
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" && t.Field(i).IsExported() && tag == norm {
			return tag
		}
	}
	return ""
}

// belongsUnder says where in the file field belongs when it is not a
// field of section t (at path) but a field of another section: "under
// policy:", "under zones[0].update:", "at the top level"; "" when no
// other section has it or t has it under another spelling (a typo:
// Closest suggests it). An update: section's field is placed under the
// update: section of the section it was found in, and a field of the
// section an update: section is in is placed there.
func belongsUnder(t reflect.Type, path, field string) string {
	own := ""
	for _, s := range sections {
		if s.t == t {
			own = s.kind
		}
	}
	if own == "" || knownField(t, field) != "" {
		return ""
	}
	spelt := func(name, where string) string {
		if name != field {
			where += fmt.Sprintf(", spelt %q", name)
		}
		return where
	}
	parent := strings.TrimSuffix(path, ".update")
	zonePath := ""
	if strings.HasPrefix(path, "zones[") {
		zonePath, _, _ = strings.Cut(path, ".")
	}
	switch own {
	case "update":
		pt := reflect.TypeOf(Defaults{})
		if zonePath != "" {
			pt = reflect.TypeOf(Zone{})
		}
		if name := knownField(pt, field); name != "" {
			return spelt(name, "under "+parent+":")
		}
	case "defaults", "zone":
		if name := knownField(reflect.TypeOf(Update{}), field); name != "" {
			return spelt(name, "under "+path+".update:")
		}
	}
	var top bool
	var under []string
	name := ""
	for _, s := range sections {
		n := knownField(s.t, field)
		if s.kind == own || n == "" {
			continue
		}
		name = n
		switch s.kind {
		case "top":
			top = true
		case "zone":
			if zonePath != "" {
				under = append(under, zonePath+":")
			} else {
				under = append(under, "a zone in zones:")
			}
		case "update":
			under = append(under, "an update: section (of defaults: or a zone)")
		default:
			under = append(under, s.kind+":")
		}
	}
	var places []string
	if top {
		places = append(places, "at the top level")
	}
	if len(under) > 0 {
		places = append(places, "under "+orList(under))
	}
	if len(places) == 0 {
		return ""
	}
	return spelt(name, orList(places))
}

// orList joins items as "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// expected says in words what a value of type t looks like.
func expected(t reflect.Type) string {
	if t == reflect.TypeOf(Duration(0)) {
		return "a duration like 10s or 1m30s"
	}
	switch t.Kind() {
	case reflect.Struct:
		return "a mapping of settings (key: value lines)"
	case reflect.Map:
		return "a mapping (" + expected(t.Key()) + ": " + expected(t.Elem()) + ")"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Slice {
			return "a list of lists, like [[contoso.com, fabrikam.com]]"
		}
		if t.Elem().Kind() == reflect.Struct {
			return "a list of entries (lines starting with \"- \")"
		}
		return "a list, like [a, b] or lines starting with \"- \""
	case reflect.Int, reflect.Int64, reflect.Uint16, reflect.Uint32:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	}
	return "a string"
}

// found says in words what the document holds, quoting at most a short
// prefix of a value.
func found(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	kind := map[string]string{"!!int": "the number", "!!float": "the number", "!!bool": "the boolean"}[n.Tag]
	if kind == "" {
		kind = "the text"
	}
	return fmt.Sprintf("%s %q", kind, v)
}

// ShapeError is a value of the wrong kind in the configuration file.
type ShapeError struct {
	Line     int
	Path     string
	Expected string
	Found    string
}

func (e *ShapeError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("line %d: expected the file to be a mapping of settings (defaults:, policy:, zones:), found %s", e.Line, e.Found)
	}
	return fmt.Sprintf("line %d: %s: expected %s, found %s", e.Line, e.Path, e.Expected, e.Found)
}

// UnknownFieldError is a field the configuration file does not have.
type UnknownFieldError struct {
	Line int
	// Path is where the field was found ("" at the top level).
	Path  string
	Field string
	// Suggestion is the closest known field, or "".
	Suggestion string
	// BelongsUnder says where the field belongs when it is a field of
	// another section ("under policy:"), or "".
	BelongsUnder string
}

func (e *UnknownFieldError) Error() string {
	at := ""
	if e.Path != "" {
		at = e.Path + ": "
	}
	msg := fmt.Sprintf("line %d: %sunknown field %q", e.Line, at, e.Field)
	switch {
	case e.BelongsUnder != "":
		msg += ": it belongs " + e.BelongsUnder
	case e.Suggestion != "":
		msg += fmt.Sprintf(": did you mean %q?", e.Suggestion)
	}
	return msg
}

// Closest returns the candidate closest to s when it is near enough to be
// a likely typo (a few letters added, dropped, changed or swapped), or the
// only candidate s is a prefix of, else "".
func Closest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestD := "", len([]rune(s))/3+2
	var prefixed []string
	for _, c := range candidates {
		if len(s) > 1 && strings.HasPrefix(c, s) {
			prefixed = append(prefixed, c)
		}
		if d := editDistance(s, c); d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if best == "" && len(prefixed) == 1 {
		return prefixed[0]
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent characters ("dryrun" is 1
// from "dry-run", "audt" 1 from "audit").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
