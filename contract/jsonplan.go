package contract

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// A jsonPlan is a schema compiled for checking a JSON document straight from
// its bytes: no value tree is built. It answers "certainly valid" (kin-openapi's
// Schema.VisitJSON, given the document decoded as encoding/json decodes it,
// finds no violation) or "don't know"; the caller then takes the long way
// (decode and VisitJSON, or openapi3filter), which writes the report.
//
// A plan models the schema features the Eko document uses, each as
// kin-openapi's OpenAPI 3.0 validator applies it: type (and integer), nullable,
// enum of strings, minLength/maxLength (counted as kin counts), pattern,
// string formats (kin's registry), number formats kin does not check (its
// registry has none), minimum/maximum, items, minItems/maxItems,
// properties, required, additionalProperties, and oneOf with a discriminator
// whose mapping names each branch. A schema with any other feature compiles to
// a node that always says "don't know". The reader accepts strict RFC 8259
// JSON only: invalid UTF-8, a lone surrogate escape, a number out of float64's
// range, a duplicated discriminator with another value, trailing data or
// nesting deeper than maxPlanDepth all say "don't know".
type jsonPlan struct {
	unknown  bool     // a feature the plan does not model: always "don't know"
	empty    bool     // kin's IsEmpty: any value but null
	nullable bool     // null is valid (checked before anything else, as kin does)
	types    kindMask // kinds the schema's type permits
	integer  bool     // numbers must be integers (type integer, not number)
	enum     []string // non-nil: the value must be one of these strings

	minLen, maxLen int64 // string length bounds; maxLen < 0 for none
	pattern        *regexp.Regexp
	hex            *hexShape // non-nil: pattern is matched without the regexp (ids, tokens)
	format         openapi3.StringFormatValidator

	intFormat openapi3.IntegerFormatValidator // an integer's format (kin's registry)
	numFormat openapi3.NumberFormatValidator  // a number's format (kin's registry)

	min, max *float64

	items              *jsonPlan // nil: items unchecked
	minItems, maxItems int64     // maxItems < 0 for none

	keys     map[string]int // property or required name -> index in props
	props    []*jsonPlan    // nil entry: a required name without a property schema
	required uint64         // bitmask over props
	closed   bool           // additionalProperties: false
	extra    *jsonPlan      // additionalProperties schema; nil: unchecked
	ownObj   bool           // the object checks above constrain anything
	tagOnly  bool           // with tags: the object checks above concern the discriminator alone

	tagName string               // oneOf discriminator property; "" without oneOf
	tags    map[string]*jsonPlan // discriminator value -> the branch it selects
}

type kindMask uint8

const (
	kindString kindMask = 1 << iota
	kindNumber          // integer or number
	kindBool
	kindArray
	kindObject
	kindAll = kindString | kindNumber | kindBool | kindArray | kindObject
)

// maxPlanDepth bounds the nesting a plan reads itself.
const maxPlanDepth = 64

// planFields are the schema fields compilePlan models (besides
// annotations). Default changes no verdict: no caller asks kin to set
// defaults. A field added to openapi3.Schema later makes the node unknown.
var planFields = []string{"Type", "Nullable", "Format", "Enum", "Pattern", "MinLength", "MaxLength",
	"Min", "Max", "Items", "MinItems", "MaxItems", "Properties", "Required", "AdditionalProperties",
	"OneOf", "Discriminator", "Default", "Deprecated", "XML", "ExternalDocs"}

// plans compiles schemas into jsonPlans, once per schema (a schema reached
// twice, or recursively, shares its plan).
type plans map[*openapi3.Schema]*jsonPlan

// compile returns s's plan.
func (ps plans) compile(s *openapi3.Schema) *jsonPlan {
	if p := ps[s]; p != nil {
		return p
	}
	p := &jsonPlan{}
	if s == nil {
		p.unknown = true
		return p
	}
	ps[s] = p
	if !ps.fill(p, s) {
		*p = jsonPlan{unknown: true}
	}
	return p
}

// fill compiles s into p, or reports false for a schema outside the plan's
// features.
func (ps plans) fill(p *jsonPlan, s *openapi3.Schema) bool {
	if s.Always != nil {
		return false
	}
	if s.IsEmpty() {
		p.empty = true
		return true
	}
	if !onlyFields(s, planFields...) {
		return false
	}
	p.nullable = s.Nullable || (s.Type != nil && s.Type.IncludesNull())
	p.types = kindAll
	if s.Type != nil {
		p.types = 0
		for _, t := range *s.Type {
			switch t {
			case openapi3.TypeString:
				p.types |= kindString
			case openapi3.TypeNumber, openapi3.TypeInteger:
				p.types |= kindNumber
			case openapi3.TypeBoolean:
				p.types |= kindBool
			case openapi3.TypeArray:
				p.types |= kindArray
			case openapi3.TypeObject:
				p.types |= kindObject
			case openapi3.TypeNull:
			default:
				return false
			}
		}
		p.integer = s.Type.Permits(openapi3.TypeInteger) && !s.Type.Permits(openapi3.TypeNumber)
	}
	if s.Enum != nil {
		p.enum = make([]string, 0, len(s.Enum))
		for _, e := range s.Enum {
			str, ok := e.(string)
			if !ok {
				return false
			}
			p.enum = append(p.enum, str)
		}
	}
	p.minLen, p.maxLen = int64(s.MinLength), -1
	if s.MinLength > math.MaxInt32 {
		return false
	}
	if s.MaxLength != nil {
		if *s.MaxLength > math.MaxInt32 {
			return false
		}
		p.maxLen = int64(*s.MaxLength)
	}
	if s.Pattern != "" {
		// kin rewrites \uXXXX escapes before compiling; others compile as is.
		if strings.Contains(s.Pattern, `\u`) {
			return false
		}
		// A hex-run pattern (ids, tokens: most of them) is matched by hand;
		// its regexp is not kept, where every collection would mark it.
		if p.hex = parseHexShape(s.Pattern); p.hex == nil {
			re, err := regexp.Compile(s.Pattern)
			if err != nil {
				return false
			}
			p.pattern = re
		}
	}
	if s.Format != "" {
		switch {
		case p.types == kindString:
			p.format = openapi3.SchemaStringFormats[s.Format] // nil: kin does not check it
		case p.types == kindNumber && p.integer:
			p.intFormat = openapi3.SchemaIntegerFormats[s.Format] // int32, int64; nil: unchecked
		case p.types == kindNumber:
			p.numFormat = openapi3.SchemaNumberFormats[s.Format] // float, double; nil: unchecked
		default:
			return false // a format on several types
		}
	}
	p.min, p.max = s.Min, s.Max
	if s.Items != nil {
		if s.Items.Value == nil {
			return false
		}
		p.items = ps.compile(s.Items.Value)
	}
	p.minItems, p.maxItems = -1, -1
	if s.MinItems > math.MaxInt32 {
		return false
	}
	p.minItems = int64(s.MinItems)
	if s.MaxItems != nil {
		if *s.MaxItems > math.MaxInt32 {
			return false
		}
		p.maxItems = int64(*s.MaxItems)
	}
	if len(s.Properties) > 0 || len(s.Required) > 0 {
		p.keys = map[string]int{}
		for name, ref := range s.Properties {
			if ref == nil || ref.Value == nil || ref.Value.ReadOnly || ref.Value.WriteOnly {
				return false
			}
			p.keys[name] = len(p.props)
			p.props = append(p.props, ps.compile(ref.Value))
		}
		for _, name := range s.Required {
			i, ok := p.keys[name]
			if !ok {
				i = len(p.props)
				p.keys[name] = i
				p.props = append(p.props, nil)
			}
			if i >= 64 {
				return false
			}
			p.required |= 1 << i
		}
	}
	if has := s.AdditionalProperties.Has; has != nil && !*has {
		p.closed = true
	} else if ref := s.AdditionalProperties.Schema; ref != nil {
		if ref.Value == nil {
			return false
		}
		p.extra = ps.compile(ref.Value)
	}
	p.ownObj = len(p.keys) > 0 || p.closed || p.extra != nil
	if len(s.OneOf) > 0 {
		d := s.Discriminator
		if d == nil || d.PropertyName == "" || len(d.Mapping) == 0 || p.enum != nil {
			return false
		}
		p.tagName, p.tags = d.PropertyName, map[string]*jsonPlan{}
		for tag, m := range d.Mapping {
			ref := m.Ref
			if ref != "" && !strings.Contains(ref, "/") {
				ref = "#/components/schemas/" + ref
			}
			var branch *openapi3.Schema
			n := 0
			for _, item := range s.OneOf {
				if item == nil || item.Value == nil {
					return false
				}
				if ref != "" && item.Ref == ref {
					branch = item.Value
					n++
				}
			}
			if n == 1 { // else kin finds no branch or several: never valid
				p.tags[tag] = ps.compile(branch)
			}
		}
		_, onTag := p.keys[p.tagName]
		p.tagOnly = onTag && len(p.keys) == 1 && !p.closed && p.extra == nil
	}
	return true
}

// valid reports whether doc is certainly valid against p (see jsonPlan).
func (p *jsonPlan) valid(doc []byte) bool {
	if p == nil || p.unknown {
		return false
	}
	r := planReader{b: doc}
	if !r.value(p) {
		return false
	}
	r.space()
	return r.i == len(r.b)
}

// planReader reads one JSON document against plans.
type planReader struct {
	b       []byte
	i       int
	depth   int
	scratch []byte // unescaped strings
	ascii   bool   // the last string str read is plain ASCII, without escapes
}

func (r *planReader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// value reads the value at r.i and reports whether it is certainly valid
// against p; a nil p checks the syntax only.
func (r *planReader) value(p *jsonPlan) bool {
	r.space()
	if r.i >= len(r.b) || p != nil && p.unknown {
		return false
	}
	c := r.b[r.i]
	if p != nil && p.empty {
		if c == 'n' {
			return false // kin: the empty schema refuses null
		}
		p = nil
	}
	switch {
	case c == 'n':
		return r.literal("null") && (p == nil || p.nullable)
	case c == 't' || c == 'f':
		if !r.literal("true") && !r.literal("false") {
			return false
		}
		return p == nil || p.tags == nil && p.enum == nil && p.types&kindBool != 0
	case c == '"':
		s, ok := r.str()
		return ok && (p == nil || p.tags == nil && p.stringValid(s, r.ascii))
	case c == '-' || c >= '0' && c <= '9':
		num, ok := r.number()
		return ok && (p == nil || p.tags == nil && p.numberValid(num))
	case c == '[':
		return r.array(p)
	case c == '{':
		return r.object(p)
	}
	return false
}

// literal reads word at r.i.
func (r *planReader) literal(word string) bool {
	if !bytes.HasPrefix(r.b[r.i:], []byte(word)) {
		return false
	}
	r.i += len(word)
	return true
}

// str reads a string at r.i and returns its content, unescaped (in
// r.scratch when it has escapes). Invalid UTF-8, control characters and
// lone surrogates say false.
func (r *planReader) str() ([]byte, bool) {
	r.i++ // the quote
	start := r.i
	r.ascii = true
	for r.i < len(r.b) {
		// The usual bytes first, in a tight loop (on locals, which the
		// compiler keeps in registers): a text of a kilobyte is mostly
		// those.
		b, i := r.b, r.i
		for i < len(b) && plainStrByte[b[i]] {
			i++
		}
		r.i = i
		if r.i == len(r.b) {
			break
		}
		c := r.b[r.i]
		switch {
		case c == '"':
			s := r.b[start:r.i]
			r.i++
			return s, true
		case c == '\\':
			return r.escaped(start)
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			r.i++
		default:
			ru, n := utf8.DecodeRune(r.b[r.i:])
			if ru == utf8.RuneError && n == 1 {
				return nil, false
			}
			r.i += n
			r.ascii = false
		}
	}
	return nil, false
}

// plainStrByte[c] reports whether byte c stands for itself inside a JSON
// string: ASCII from the space on, but for '"' and '\\'. Read only.
var plainStrByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escaped continues str from its first backslash, unescaping into r.scratch.
func (r *planReader) escaped(start int) ([]byte, bool) {
	r.ascii = false // an escape may stand for any rune: count them
	out := append(r.scratch[:0], r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			r.scratch = out
			return out, true
		case c == '\\':
			if r.i+1 >= len(r.b) {
				return nil, false
			}
			e := r.b[r.i+1]
			r.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				ru, ok := r.hex4()
				if !ok {
					return nil, false
				}
				if utf16.IsSurrogate(ru) {
					if !bytes.HasPrefix(r.b[r.i:], []byte(`\u`)) {
						return nil, false
					}
					r.i += 2
					lo, ok := r.hex4()
					if !ok {
						return nil, false
					}
					ru = utf16.DecodeRune(ru, lo)
					if ru == utf8.RuneError {
						return nil, false
					}
				}
				out = utf8.AppendRune(out, ru)
			default:
				return nil, false
			}
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			out = append(out, c)
			r.i++
		default:
			ru, n := utf8.DecodeRune(r.b[r.i:])
			if ru == utf8.RuneError && n == 1 {
				return nil, false
			}
			out = append(out, r.b[r.i:r.i+n]...)
			r.i += n
		}
	}
	return nil, false
}

// hex4 reads the four hex digits of a \u escape.
func (r *planReader) hex4() (rune, bool) {
	if r.i+4 > len(r.b) {
		return 0, false
	}
	var v rune
	for _, c := range r.b[r.i : r.i+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	r.i += 4
	return v, true
}

// number reads a number at r.i (RFC 8259 grammar) and returns its text. A
// number float64 cannot hold (which kin's decoders refuse) says false.
func (r *planReader) number() ([]byte, bool) {
	start := r.i
	b := r.b
	if b[r.i] == '-' {
		r.i++
	}
	digits := func() int {
		n := 0
		for r.i < len(b) && b[r.i] >= '0' && b[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.i < len(b) && b[r.i] == '0' {
		r.i++
	} else if digits() == 0 {
		return nil, false
	}
	plain := true
	if r.i < len(b) && b[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if r.i < len(b) && (b[r.i] == 'e' || b[r.i] == 'E') {
		plain = false
		r.i++
		if r.i < len(b) && (b[r.i] == '+' || b[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	num := b[start:r.i]
	if !plain || len(num) > 300 {
		if _, err := strconv.ParseFloat(string(num), 64); err != nil {
			return nil, false
		}
	}
	return num, true
}

// stringValid checks a string value as kin's visitJSON does: enum, type,
// lengths, pattern, format.
//
// ascii tells that s is ASCII, so that its length is its rune count.
func (p *jsonPlan) stringValid(s []byte, ascii bool) bool {
	if p.enum != nil && !containsBytes(p.enum, s) {
		return false
	}
	if p.types&kindString == 0 {
		return false
	}
	if p.minLen > 0 || p.maxLen >= 0 {
		// kin counts the runes of a range over the string, adding one more
		// for a surrogate, which such a range never yields.
		n := int64(len(s))
		if !ascii {
			n = int64(utf8.RuneCount(s))
		}
		if n < p.minLen || p.maxLen >= 0 && n > p.maxLen {
			return false
		}
	}
	if p.hex != nil {
		if !matchHexShape(p.hex, s) {
			return false
		}
	} else if p.pattern != nil && !p.pattern.Match(s) {
		return false
	}
	return p.format == nil || p.format.Validate(string(s)) == nil
}

// textValid is stringValid for a string that is not JSON text (a
// parameter): what Schema.VisitJSON says of it.
func (p *jsonPlan) textValid(s string) bool {
	if p.unknown || p.tags != nil {
		return false
	}
	if p.empty {
		return true
	}
	if p.enum != nil && !slices.Contains(p.enum, s) {
		return false
	}
	if p.types&kindString == 0 {
		return false
	}
	if p.minLen > 0 || p.maxLen >= 0 {
		n := int64(utf8.RuneCountInString(s)) // see stringValid
		if n < p.minLen || p.maxLen >= 0 && n > p.maxLen {
			return false
		}
	}
	if p.hex != nil {
		if !matchHexShape(p.hex, s) {
			return false
		}
	} else if p.pattern != nil && !p.pattern.MatchString(s) {
		return false
	}
	return p.format == nil || p.format.Validate(s) == nil
}

// hexShape is a pattern that runs of lowercase hex digits joined by '_'
// match, the whole perhaps optional: ^[0-9a-f]{n}$ (ids, tokens),
// ^([0-9a-f]{n})?$ (an id or nothing), ^[0-9a-f]{n}_[0-9a-f]{m}$ (session
// ids). Such patterns are matched without the regexp.
type hexShape struct {
	runs     []int // the runs' lengths, in order
	optional bool  // the empty string matches too
}

// parseHexShape returns the shape of pattern, or nil when the pattern is
// not one of hexShape's.
func parseHexShape(pattern string) *hexShape {
	inner, ok := strings.CutPrefix(pattern, "^")
	if !ok {
		return nil
	}
	if inner, ok = strings.CutSuffix(inner, "$"); !ok {
		return nil
	}
	h := &hexShape{}
	if body, ok := strings.CutPrefix(inner, "("); ok {
		if body, ok = strings.CutSuffix(body, ")?"); !ok {
			return nil
		}
		inner, h.optional = body, true
	}
	for run := range strings.SplitSeq(inner, "_") {
		n := hexPatternLen("^" + run + "$")
		if n == 0 {
			return nil
		}
		h.runs = append(h.runs, n)
	}
	return h
}

// matchHexShape reports whether s matches h's pattern.
func matchHexShape[T string | []byte](h *hexShape, s T) bool {
	if len(s) == 0 && h.optional {
		return true
	}
	for i, n := range h.runs {
		if i > 0 {
			if len(s) == 0 || s[0] != '_' {
				return false
			}
			s = s[1:]
		}
		if len(s) < n || !isHexRun(s[:n], n) {
			return false
		}
		s = s[n:]
	}
	return len(s) == 0
}

// hexPatternLen returns n for the pattern ^[0-9a-f]{n}$ (n ≥ 1), else 0.
func hexPatternLen(pattern string) int {
	digits, ok := strings.CutPrefix(pattern, "^[0-9a-f]{")
	if !ok {
		return 0
	}
	digits, ok = strings.CutSuffix(digits, "}$")
	if !ok || digits == "" || len(digits) > 4 || digits[0] == '0' {
		return 0
	}
	n := 0
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0
		}
		n = 10*n + int(c-'0')
	}
	if n > 1000 { // regexp's largest repeat count
		return 0
	}
	return n
}

// isHexRun reports whether s is n lowercase hex digits: what the pattern
// ^[0-9a-f]{n}$ matches.
func isHexRun[T string | []byte](s T, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func containsBytes(ss []string, b []byte) bool {
	for _, s := range ss {
		if s == string(b) {
			return true
		}
	}
	return false
}

// numberValid checks a number (its JSON text) as kin's visitJSON does.
func (p *jsonPlan) numberValid(num []byte) bool {
	if p.enum != nil || p.types&kindNumber == 0 {
		return false
	}
	if p.min == nil && p.max == nil && p.intFormat == nil && p.numFormat == nil && bytes.IndexAny(num, ".eE") < 0 {
		return true // an integer, in float64's range (see number)
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return false
	}
	if p.integer && f != math.Trunc(f) {
		return false
	}
	if p.intFormat != nil && !intFormatValid(p.intFormat, f) || p.numFormat != nil && p.numFormat.Validate(f) != nil {
		return false
	}
	return (p.min == nil || *p.min <= f) && (p.max == nil || *p.max >= f)
}

// intFormatValid is kin's validateIntegerFormat: the format's validator
// gets the value as an int64, and a value beyond int64 fails.
func intFormatValid(v openapi3.IntegerFormatValidator, f float64) bool {
	switch {
	case f == float64(math.MaxInt64): // rounds up to 2^63: kin passes MaxInt64
		return v.Validate(math.MaxInt64) == nil
	case f >= float64(math.MinInt64) && f < float64(math.MaxInt64):
		return v.Validate(int64(f)) == nil
	}
	return false
}

// array reads an array against p.
func (r *planReader) array(p *jsonPlan) bool {
	var items *jsonPlan
	if p != nil {
		if p.tags != nil || p.enum != nil || p.types&kindArray == 0 {
			return false
		}
		items = p.items
	}
	if r.depth++; r.depth > maxPlanDepth {
		return false
	}
	r.i++ // [
	var n int64
	r.space()
	if r.i < len(r.b) && r.b[r.i] == ']' {
		r.i++
	} else {
		for {
			if !r.value(items) {
				return false
			}
			n++
			if more, ok := r.more(']'); !ok {
				return false
			} else if !more {
				break
			}
		}
	}
	r.depth--
	return p == nil || n >= p.minItems && (p.maxItems < 0 || n <= p.maxItems)
}

// more reads what follows an element or member: the closing byte (more is
// false) or a comma (more is true); ok is false for anything else.
func (r *planReader) more(closing byte) (more, ok bool) {
	r.space()
	if r.i >= len(r.b) {
		return false, false
	}
	switch r.b[r.i] {
	case closing:
		r.i++
		return false, true
	case ',':
		r.i++
		return true, true
	}
	return false, false
}

// object reads an object against p: the branch its discriminator selects
// (read from the same bytes again), then p's own object checks. When those
// concern the discriminator alone (a tagged union whose shared schema only
// declares its tag), only the tag's value is read again.
func (r *planReader) object(p *jsonPlan) bool {
	if p == nil {
		return r.members(nil, "", nil)
	}
	if p.enum != nil || p.types&kindObject == 0 {
		return false
	}
	if p.tags == nil {
		return r.members(p, "", nil)
	}
	start := r.i
	tag, tagAt, ok := r.findTag(p.tagName)
	if !ok {
		return false
	}
	branch := p.tags[string(tag)]
	if branch == nil {
		return false
	}
	if !r.members(branch, p.tagName, tag) {
		return false
	}
	if !p.ownObj {
		return true
	}
	if p.tagOnly {
		// members held every repetition of the tag to the first one's
		// value, and the object has it, so a required tag is there.
		end := r.i
		r.i = tagAt
		ok := r.value(p.props[p.keys[p.tagName]])
		r.i = end
		return ok
	}
	r.i = start
	return r.members(p, p.tagName, tag)
}

// findTag returns the value of the object's member name (a string), and
// where that value starts, without moving r.i; it must be there.
func (r *planReader) findTag(name string) ([]byte, int, bool) {
	start := r.i
	defer func() { r.i = start }()
	r.i++ // {
	for {
		r.space()
		if r.i >= len(r.b) || r.b[r.i] != '"' {
			return nil, 0, false
		}
		key, ok := r.str()
		if !ok {
			return nil, 0, false
		}
		isTag := string(key) == name
		r.space()
		if r.i >= len(r.b) || r.b[r.i] != ':' {
			return nil, 0, false
		}
		r.i++
		r.space()
		if isTag {
			if r.i >= len(r.b) || r.b[r.i] != '"' {
				return nil, 0, false
			}
			at := r.i
			v, ok := r.str()
			if !ok || len(v) != r.i-at-2 {
				return nil, 0, false // escapes: v would live in r.scratch, which the walk reuses
			}
			return v, at, true
		}
		if !r.value(nil) {
			return nil, 0, false
		}
		r.space()
		if r.i >= len(r.b) || r.b[r.i] != ',' {
			return nil, 0, false
		}
		r.i++
	}
}

// members reads an object's members against p's object checks (nil: syntax
// only). A member named pin must be the string pinVal: a discriminator
// repeated with another value says "don't know".
func (r *planReader) members(p *jsonPlan, pin string, pinVal []byte) bool {
	if r.depth++; r.depth > maxPlanDepth {
		return false
	}
	r.i++ // {
	var seen uint64
	r.space()
	if r.i < len(r.b) && r.b[r.i] == '}' {
		r.i++
	} else {
		for {
			r.space()
			if r.i >= len(r.b) || r.b[r.i] != '"' {
				return false
			}
			key, ok := r.str()
			if !ok {
				return false
			}
			// Look the key up before reading the value, which may reuse
			// r.scratch.
			var child *jsonPlan
			if p != nil {
				i, declared := p.keys[string(key)]
				if declared {
					seen |= 1 << i
					child = p.props[i]
				}
				if child == nil {
					if p.closed {
						return false
					}
					child = p.extra
				}
			}
			isPin := pin != "" && string(key) == pin
			r.space()
			if r.i >= len(r.b) || r.b[r.i] != ':' {
				return false
			}
			r.i++
			if isPin {
				r.space()
				if r.i >= len(r.b) || r.b[r.i] != '"' {
					return false
				}
				save := r.i
				if v, ok := r.str(); !ok || !bytes.Equal(v, pinVal) {
					return false
				}
				r.i = save
			}
			if !r.value(child) {
				return false
			}
			if more, ok := r.more('}'); !ok {
				return false
			} else if !more {
				break
			}
		}
	}
	r.depth--
	return p == nil || seen&p.required == p.required
}

// compileOperation compiles the JSON schemas of o's request body and
// responses.
func (ps plans) compileOperation(o *openapi3.Operation) {
	var contents []openapi3.Content
	if rb := o.RequestBody; rb != nil && rb.Value != nil {
		contents = append(contents, rb.Value.Content)
	}
	if o.Responses != nil {
		for _, ref := range o.Responses.Map() {
			if ref != nil && ref.Value != nil {
				contents = append(contents, ref.Value.Content)
			}
		}
	}
	for _, content := range contents {
		for _, mt := range content {
			if mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
				ps.compile(mt.Schema.Value)
			}
		}
	}
}
