package contract

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/mockeko/mockeko/openapi"
)

var update = flag.Bool("update", false, "rewrite "+ekoDocFile+" from openapi/eko-bot-api.yaml")

// ekoDocFile is the generated form of the embedded document (see ekodoc.go).
const ekoDocFile = "ekodoc_gen.go"

// TestEkoDocIsFresh fails while ekodoc_gen.go is not what converting
// openapi/eko-bot-api.yaml gives today: run go generate ./contract.
func TestEkoDocIsFresh(t *testing.T) {
	t.Parallel()
	doc, webhook, err := convert(openapi.EkoBotAPI, DefaultName, false)
	if err != nil {
		t.Fatal(err)
	}
	src, err := generateDoc(doc, webhook)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(ekoDocFile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", ekoDocFile, len(src))
		return
	}
	onDisk, err := os.ReadFile(ekoDocFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, src) {
		t.Errorf("%s is stale (openapi/eko-bot-api.yaml, convert or kin-openapi changed): run go generate ./contract\n%s",
			ekoDocFile, firstDifference(onDisk, src))
	}
}

// TestEkoDocMatchesConversion proves the generator faithful: the generated
// document equals, field by field, the conversion of the YAML.
func TestEkoDocMatchesConversion(t *testing.T) {
	t.Parallel()
	want, wantHook, err := convert(openapi.EkoBotAPI, DefaultName, false)
	if err != nil {
		t.Fatal(err)
	}
	got, gotHook := ekoBotAPIDoc()
	if gotHook != wantHook || wantHook == "" {
		t.Errorf("webhook definition = %q, want %q", gotHook, wantHook)
	}
	if want.Paths.Len() == 0 || len(want.Components.Schemas) == 0 {
		t.Fatal("the conversion is empty: the comparison would prove nothing")
	}
	if diff := graphDiff(reflect.ValueOf(want), reflect.ValueOf(got), "doc", map[[2]uintptr]bool{}); diff != "" {
		t.Errorf("the generated document differs from the conversion: %s", diff)
	}
}

// TestGraphDiff: graphDiff sees a difference anywhere, including behind a
// shared pointer, in an unexported map and in an interface value.
func TestGraphDiff(t *testing.T) {
	t.Parallel()
	base := func() *openapi3.T {
		d, _ := ekoBotAPIDoc()
		return d
	}
	for name, change := range map[string]func(d *openapi3.T){
		"shared schema":  func(d *openapi3.T) { d.Components.Schemas["WebhookEnvelope"].Value.Description += "!" },
		"path item":      func(d *openapi3.T) { d.Paths.Value("/oauth/token").Post.OperationID += "!" },
		"extension":      func(d *openapi3.T) { d.Extensions["x-webhooks"].(map[string]any)["delivery"] = "Other" },
		"nil vs empty":   func(d *openapi3.T) { d.Components.Schemas["WebhookEnvelope"].Value.Properties = nil },
		"missing status": func(d *openapi3.T) { d.Paths.Value("/oauth/token").Post.Responses.Delete("200") },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := base(), base()
			if diff := graphDiff(reflect.ValueOf(a), reflect.ValueOf(b), "doc", map[[2]uintptr]bool{}); diff != "" {
				t.Fatalf("two fresh documents differ: %s", diff)
			}
			change(b)
			if diff := graphDiff(reflect.ValueOf(a), reflect.ValueOf(b), "doc", map[[2]uintptr]bool{}); diff == "" {
				t.Error("graphDiff missed the change")
			}
		})
	}
}

// graphDiff describes the first difference between a and b, compared field
// by field (unexported fields too) like reflect.DeepEqual, but ignoring
// refPath, which only kin-openapi's loader uses for external references.
// seen holds the pointer pairs already compared, which ends cycles.
func graphDiff(a, b reflect.Value, path string, seen map[[2]uintptr]bool) string {
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: type %s, want %s", path, b.Type(), a.Type())
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: nil is %v, want %v", path, b.IsNil(), a.IsNil())
		}
		if a.IsNil() {
			return ""
		}
	}
	switch a.Kind() {
	case reflect.Pointer:
		k := [2]uintptr{a.Pointer(), b.Pointer()}
		if seen[k] {
			return ""
		}
		seen[k] = true
		return graphDiff(a.Elem(), b.Elem(), path, seen)
	case reflect.Interface:
		return graphDiff(a.Elem(), b.Elem(), path, seen)
	case reflect.Struct:
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if f.Name == "refPath" {
				continue
			}
			if d := graphDiff(a.Field(i), b.Field(i), path+"."+f.Name, seen); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: length %d, want %d", path, b.Len(), a.Len())
		}
		for i := range a.Len() {
			if d := graphDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i), seen); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: %d entries, want %d", path, b.Len(), a.Len())
		}
		if a.Type().Key().Kind() != reflect.String {
			return fmt.Sprintf("%s: cannot compare a %s", path, a.Type())
		}
		for _, k := range a.MapKeys() {
			key := reflect.ValueOf(k.String()).Convert(a.Type().Key())
			bv := b.MapIndex(key)
			if !bv.IsValid() {
				return fmt.Sprintf("%s[%q]: missing", path, k.String())
			}
			if d := graphDiff(a.MapIndex(key), bv, fmt.Sprintf("%s[%q]", path, k.String()), seen); d != "" {
				return d
			}
		}
		return ""
	case reflect.String:
		if a.String() != b.String() {
			return fmt.Sprintf("%s: %q, want %q", path, b.String(), a.String())
		}
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			return fmt.Sprintf("%s: %v, want %v", path, b.Bool(), a.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			return fmt.Sprintf("%s: %d, want %d", path, b.Int(), a.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			return fmt.Sprintf("%s: %d, want %d", path, b.Uint(), a.Uint())
		}
	case reflect.Float32, reflect.Float64:
		if a.Float() != b.Float() {
			return fmt.Sprintf("%s: %v, want %v", path, b.Float(), a.Float())
		}
	default:
		return fmt.Sprintf("%s: cannot compare a %s", path, a.Type())
	}
	return ""
}

// TestDefaultMatchesCompile: the Contract built from the generated document
// routes like the one compiled from the YAML at run time.
func TestDefaultMatchesCompile(t *testing.T) {
	t.Parallel()
	compiled, err := compile(openapi.EkoBotAPI, DefaultName, false)
	if err != nil {
		t.Fatal(err)
	}
	def := mustDefault(t)
	if diff := cmp.Diff(compiled.Operations(), def.Operations()); diff != "" {
		t.Errorf("Operations (-compile +Default):\n%s", diff)
	}
	if def.webhook == nil || def.webhook.Ref != compiled.webhook.Ref {
		t.Errorf("webhook schema = %+v, want %+v", def.webhook, compiled.webhook)
	}
	for _, op := range compiled.Operations() {
		got, ok := def.Operation(op.Method, op.Path)
		if !ok || got != op.ID {
			t.Errorf("Default().Operation(%s, %s) = %q, %v; want %q", op.Method, op.Path, got, ok, op.ID)
		}
	}
}

func TestEkoDocIsNotShared(t *testing.T) {
	t.Parallel()
	a, hook := ekoBotAPIDoc()
	b, _ := ekoBotAPIDoc()
	sa, sb := a.Components.Schemas[hook], b.Components.Schemas[hook]
	if sa == nil || sb == nil {
		t.Fatalf("no schema %q", hook)
	}
	if a == b || sa == sb || sa.Value == sb.Value {
		t.Error("two calls share the document: each Contract must own its own")
	}
}

// firstDifference shows the first line where a and b differ.
func firstDifference(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  on disk:   %q\n  generated: %q", i+1, x, y)
		}
	}
	return "same lines (line endings differ?)"
}

// generateDoc writes Go source for ekoBotAPIDoc, a function that builds doc
// afresh on every call. Objects reached through more than one pointer
// (shared schemas, cycles) live in typed arrays of one graph value, so the
// generated document has the same shape as doc and is allocated in few
// blocks. Large literals become small methods: one huge function would
// cost megabytes of stack maps in the binary. Maps are written in key
// order, so the output is deterministic.
func generateDoc(doc *openapi3.T, webhook string) ([]byte, error) {
	g := &docGen{count: map[ptrKey]int{}, slot: map[ptrKey]string{}, filled: map[ptrKey]bool{}, array: map[reflect.Type]int{}}
	root := reflect.ValueOf(doc)
	g.countPtrs(root)
	ret, err := g.expr(root, false, false)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("// Code generated by go generate ./contract from openapi/eko-bot-api.yaml; DO NOT EDIT.\n\n")
	b.WriteString("//go:build !mockeko_regen\n\npackage contract\n\n")
	b.WriteString("import \"github.com/getkin/kin-openapi/openapi3\"\n\n")
	b.WriteString("// ekoBotAPIDoc returns a fresh copy of openapi/eko-bot-api.yaml converted to\n")
	b.WriteString("// OpenAPI 3 (see convert), and the name of its webhook delivery definition.\n")
	b.WriteString("func ekoBotAPIDoc() (*openapi3.T, string) {\n")
	b.WriteString("d := new(ekoDocGraph)\n")
	// Fill statements, a few kilobytes per method.
	var fills []string
	var cur strings.Builder
	for i, st := range g.fills {
		cur.WriteString(st)
		cur.WriteString("\n")
		if cur.Len() > hoistLimit || i == len(g.fills)-1 {
			fills = append(fills, cur.String())
			cur.Reset()
		}
	}
	for i := range fills {
		fmt.Fprintf(&b, "d.fill%d()\n", i+1)
	}
	fmt.Fprintf(&b, "return %s, %s\n}\n\n", ret, strconv.Quote(webhook))
	b.WriteString("// ekoDocGraph holds the objects of the document that are reached through\n")
	b.WriteString("// more than one pointer, by type.\n")
	b.WriteString("type ekoDocGraph struct {\n")
	for i, t := range g.types {
		fmt.Fprintf(&b, "a%d [%d]%s\n", i+1, g.array[t], g.typeName(t))
	}
	b.WriteString("}\n")
	for i, f := range fills {
		fmt.Fprintf(&b, "\nfunc (d *ekoDocGraph) fill%d() {\n%s}\n", i+1, f)
	}
	for _, f := range g.funcs {
		b.WriteString("\n")
		b.WriteString(f)
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("generated source does not parse: %w", err)
	}
	return src, nil
}

// hoistLimit is the size of source above which a literal gets its own method.
const hoistLimit = 2 << 10

type ptrKey struct {
	p uintptr
	t reflect.Type
}

type docGen struct {
	count  map[ptrKey]int       // how often each pointer is reached
	slot   map[ptrKey]string    // &d.aN[i] of a shared pointer
	filled map[ptrKey]bool      // its fill statement is written
	array  map[reflect.Type]int // length of the array of each shared type
	types  []reflect.Type       // the arrays' types, in order of appearance
	fills  []string             // d.aN[i] = T{...}
	funcs  []string             // hoisted literals
}

// hoist moves a large expression of type typ into its own method.
func (g *docGen) hoist(typ, expr string) string {
	if len(expr) <= hoistLimit {
		return expr
	}
	name := "n" + strconv.Itoa(len(g.funcs)+1)
	g.funcs = append(g.funcs, fmt.Sprintf("func (d *ekoDocGraph) %s() %s {\nreturn %s\n}\n", name, typ, expr))
	return "d." + name + "()"
}

// countPtrs counts how often each pointer is reached.
func (g *docGen) countPtrs(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		k := ptrKey{v.Pointer(), v.Type()}
		g.count[k]++
		if g.count[k] == 1 {
			g.countPtrs(v.Elem())
		}
	case reflect.Interface:
		if !v.IsNil() {
			g.countPtrs(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			g.countPtrs(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			g.countPtrs(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			g.countPtrs(v.MapIndex(k))
		}
	}
}

var (
	pathsType     = reflect.TypeFor[openapi3.Paths]()
	responsesType = reflect.TypeFor[openapi3.Responses]()
)

// expr returns a Go expression for v. typed: the context does not give the
// type (an interface), so constants carry theirs. elide: v is an element of
// a composite literal, where T{...} and &T{...} may be written {...}.
func (g *docGen) expr(v reflect.Value, typed, elide bool) (string, error) {
	t := v.Type()
	switch v.Kind() {
	case reflect.Bool:
		return g.constant(t, strconv.FormatBool(v.Bool()), typed && t != reflect.TypeFor[bool]()), nil
	case reflect.String:
		return g.constant(t, strconv.Quote(v.String()), typed && t != reflect.TypeFor[string]()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return g.constant(t, strconv.FormatInt(v.Int(), 10), typed && t != reflect.TypeFor[int]()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return g.constant(t, strconv.FormatUint(v.Uint(), 10), typed), nil
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "", fmt.Errorf("cannot write the float %v", f)
		}
		return g.constant(t, strconv.FormatFloat(f, 'g', -1, 64), typed), nil
	case reflect.Interface:
		if v.IsNil() {
			return "nil", nil
		}
		return g.expr(v.Elem(), true, false)
	case reflect.Pointer:
		return g.pointer(v, elide)
	case reflect.Struct:
		return g.structLit(v, elide)
	case reflect.Slice:
		if v.IsNil() {
			return "nil", nil
		}
		var b strings.Builder
		if !elide {
			b.WriteString(g.typeName(t))
		}
		b.WriteString("{")
		if v.Len() > 0 {
			b.WriteString("\n")
		}
		for i := range v.Len() {
			e, err := g.expr(v.Index(i), t.Elem().Kind() == reflect.Interface, true)
			if err != nil {
				return "", err
			}
			b.WriteString(e)
			b.WriteString(",\n")
		}
		b.WriteString("}")
		return b.String(), nil
	case reflect.Map:
		if v.IsNil() {
			return "nil", nil
		}
		if t.Key().Kind() != reflect.String {
			return "", fmt.Errorf("cannot write the map type %s", t)
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		var b strings.Builder
		if !elide {
			b.WriteString(g.typeName(t))
		}
		b.WriteString("{")
		if len(keys) > 0 {
			b.WriteString("\n")
		}
		for _, k := range keys {
			key, err := g.expr(k, false, false)
			if err != nil {
				return "", err
			}
			e, err := g.expr(v.MapIndex(k), t.Elem().Kind() == reflect.Interface, true)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "%s: %s,\n", key, e)
		}
		b.WriteString("}")
		return b.String(), nil
	}
	return "", fmt.Errorf("cannot write a %s", t)
}

// constant writes a literal, converted to t when the context needs it.
func (g *docGen) constant(t reflect.Type, lit string, convert bool) string {
	if convert {
		return g.typeName(t) + "(" + lit + ")"
	}
	return lit
}

// pointer writes &T{...}, new(x), or the array slot of a shared pointer.
func (g *docGen) pointer(v reflect.Value, elide bool) (string, error) {
	if v.IsNil() {
		return "nil", nil
	}
	k := ptrKey{v.Pointer(), v.Type()}
	elem := v.Elem()
	if g.count[k] > 1 {
		t := elem.Type()
		if t == pathsType || t == responsesType {
			return "", fmt.Errorf("a shared %s is not supported", t)
		}
		slot, ok := g.slot[k]
		if !ok {
			if _, seen := g.array[t]; !seen {
				g.types = append(g.types, t)
			}
			slot = fmt.Sprintf("d.a%d[%d]", slices.Index(g.types, t)+1, g.array[t])
			g.array[t]++
			g.slot[k] = slot
		}
		if !g.filled[k] {
			g.filled[k] = true
			e, err := g.expr(elem, true, false)
			if err != nil {
				return "", err
			}
			g.fills = append(g.fills, slot+" = "+e)
		}
		return "&" + slot, nil
	}
	typ := g.typeName(v.Type())
	switch elem.Type() {
	case pathsType:
		e, err := g.mapLike(elem, "pathsOf", "map[string]*openapi3.PathItem", func() reflect.Value {
			return reflect.ValueOf(v.Interface().(*openapi3.Paths).Map())
		})
		return g.hoist(typ, e), err
	case responsesType:
		e, err := g.mapLike(elem, "responsesOf", "map[string]*openapi3.ResponseRef", func() reflect.Value {
			return reflect.ValueOf(v.Interface().(*openapi3.Responses).Map())
		})
		return g.hoist(typ, e), err
	}
	if elem.Kind() == reflect.Struct {
		s, err := g.structLit(elem, true)
		if err != nil {
			return "", err
		}
		if len(s) > hoistLimit {
			return g.hoist(typ, "&"+g.typeName(elem.Type())+s), nil
		}
		if elide {
			return s, nil
		}
		return "&" + g.typeName(elem.Type()) + s, nil
	}
	e, err := g.expr(elem, true, false)
	if err != nil {
		return "", err
	}
	return "new(" + e + ")", nil
}

// mapLike writes Paths and Responses, whose entries are unexported, with
// the helpers in ekodoc.go.
func (g *docGen) mapLike(elem reflect.Value, helper, mapType string, entries func() reflect.Value) (string, error) {
	for i := range elem.NumField() {
		if f := elem.Type().Field(i); f.IsExported() && !elem.Field(i).IsZero() {
			return "", fmt.Errorf("%s.%s is set: the generator cannot write it", elem.Type(), f.Name)
		}
	}
	m, err := g.expr(entries(), false, true)
	if err != nil {
		return "", err
	}
	return helper + "(" + mapType + m + ")", nil
}

// structLit writes T{Field: ..., ...} (or {...} when elide) with the set
// fields. An unexported field may only be refPath, which kin-openapi's
// loader alone uses.
func (g *docGen) structLit(v reflect.Value, elide bool) (string, error) {
	t := v.Type()
	var b strings.Builder
	if !elide {
		b.WriteString(g.typeName(t))
	}
	b.WriteString("{")
	first := true
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if fv.IsZero() {
			continue
		}
		if first {
			b.WriteString("\n")
			first = false
		}
		if !f.IsExported() {
			if f.Name == "refPath" {
				continue
			}
			return "", fmt.Errorf("%s.%s is set: the generator cannot write an unexported field", t, f.Name)
		}
		e, err := g.expr(fv, f.Type.Kind() == reflect.Interface, false)
		if err != nil {
			return "", fmt.Errorf("%s.%s: %w", t, f.Name, err)
		}
		fmt.Fprintf(&b, "%s: %s,\n", f.Name, e)
	}
	b.WriteString("}")
	return b.String(), nil
}

// typeName spells t in Go source; only openapi3's named types may appear.
func (g *docGen) typeName(t reflect.Type) string {
	if t.Name() != "" {
		switch t.PkgPath() {
		case "":
			return t.Name()
		case "github.com/getkin/kin-openapi/openapi3":
			return "openapi3." + t.Name()
		}
		panic(fmt.Sprintf("contract: generator: the type %s is not from openapi3", t))
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + g.typeName(t.Elem())
	case reflect.Slice:
		return "[]" + g.typeName(t.Elem())
	case reflect.Map:
		return "map[" + g.typeName(t.Key()) + "]" + g.typeName(t.Elem())
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return "any"
		}
	}
	panic(fmt.Sprintf("contract: generator: cannot spell the type %s", t))
}

// BenchmarkCompileYAML is what Default cost before the build-time
// conversion, and what Load still costs for another document (less the
// lint): parse the YAML, convert, build. Compare with BenchmarkDefault.
func BenchmarkCompileYAML(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compile(openapi.EkoBotAPI, DefaultName, false); err != nil {
			b.Fatal(err)
		}
	}
}
