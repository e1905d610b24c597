package contract

import (
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-openapi/loads"
)

// Swagger 2.0 has no oneOf. The Eko document writes tagged unions (BotV2
// messages, actions, templates, webhook events) with a vendor extension on
// the union's definition:
//
//	x-mockeko-oneOf:
//	  discriminator: type
//	  mapping: {text: V2TextMessage, image: V2ImageMessage}
//
// go-openapi sees only the shared properties; the engine compiles the
// extension into an OpenAPI 3 oneOf with a discriminator, so a value is
// checked against exactly the definition its tag selects.
const unionExt = "x-mockeko-oneOf"

// webhooksExt names the webhook definitions: {delivery: Name, events: [Name...]}.
const webhooksExt = "x-webhooks"

type union struct {
	def           string
	discriminator string
	mapping       map[string]string // tag value -> definition name
	err           string
}

// docInfo is what the vendor extensions need from a document, read from
// either library's model.
type docInfo struct {
	top  map[string]any // top-level extensions
	defs map[string]defInfo
}

type defInfo struct {
	ext   map[string]any
	props map[string]bool
}

func infoFromLoads(doc *loads.Document) docInfo {
	sp := doc.Spec()
	info := docInfo{top: sp.Extensions, defs: map[string]defInfo{}}
	for name, d := range sp.Definitions {
		di := defInfo{ext: d.Extensions, props: map[string]bool{}}
		for p := range d.Properties {
			di.props[p] = true
		}
		info.defs[name] = di
	}
	return info
}

func infoFromKin(d2 *openapi2.T) docInfo {
	info := docInfo{top: d2.Extensions, defs: map[string]defInfo{}}
	for name, d := range d2.Definitions {
		if d == nil || d.Value == nil {
			continue
		}
		di := defInfo{ext: d.Value.Extensions, props: map[string]bool{}}
		for p := range d.Value.Properties {
			di.props[p] = true
		}
		info.defs[name] = di
	}
	return info
}

func extension(ext map[string]any, key string) (any, bool) {
	for k, v := range ext {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// unionsOf reads every x-mockeko-oneOf, sorted by definition name.
func unionsOf(info docInfo) []union {
	var out []union
	for name, def := range info.defs {
		raw, ok := extension(def.ext, unionExt)
		if !ok {
			continue
		}
		u := union{def: name, mapping: map[string]string{}}
		m, _ := raw.(map[string]any)
		u.discriminator, _ = m["discriminator"].(string)
		mapping, _ := m["mapping"].(map[string]any)
		switch {
		case u.discriminator == "":
			u.err = "needs a discriminator property name"
		case len(mapping) == 0:
			u.err = "needs a mapping of tag values to definition names"
		default:
			if !def.props[u.discriminator] {
				u.err = fmt.Sprintf("discriminator %q is not a property of %s", u.discriminator, name)
			}
		}
		for k, v := range mapping {
			s, ok := v.(string)
			if !ok {
				u.err = fmt.Sprintf("mapping %q must name a definition", k)
				continue
			}
			u.mapping[k] = strings.TrimPrefix(s, "#/definitions/")
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].def < out[j].def })
	return out
}

// applyUnions compiles every x-mockeko-oneOf into oneOf + discriminator.
func applyUnions(d3 *openapi3.T, info docInfo) error {
	for _, u := range unionsOf(info) {
		if u.err != "" {
			return fmt.Errorf("definitions.%s.%s: %s", u.def, unionExt, u.err)
		}
		base := d3.Components.Schemas[u.def]
		if base == nil || base.Value == nil {
			return fmt.Errorf("definitions.%s: not found after conversion", u.def)
		}
		tags := make([]string, 0, len(u.mapping))
		for tag := range u.mapping {
			tags = append(tags, tag)
		}
		sort.Strings(tags)
		d := &openapi3.Discriminator{PropertyName: u.discriminator, Mapping: map[string]openapi3.MappingRef{}}
		var refs openapi3.SchemaRefs
		for _, tag := range tags {
			target := u.mapping[tag]
			s := d3.Components.Schemas[target]
			if s == nil || s.Value == nil {
				return fmt.Errorf("definitions.%s.%s: maps %q to the undefined definition %q", u.def, unionExt, tag, target)
			}
			ref := "#/components/schemas/" + target
			d.Mapping[tag] = openapi3.MappingRef{Ref: ref, Value: s.Value}
			refs = append(refs, &openapi3.SchemaRef{Ref: ref, Value: s.Value})
		}
		base.Value.OneOf = refs
		base.Value.Discriminator = d
	}
	return nil
}

// webhookDefinition is the delivery envelope named by x-webhooks.
func webhookDefinition(info docInfo) (string, bool) {
	raw, ok := extension(info.top, webhooksExt)
	if !ok {
		return "", false
	}
	m, _ := raw.(map[string]any)
	name, _ := m["delivery"].(string)
	return name, name != ""
}

// webhookDefinitions lists every definition named by x-webhooks.
func webhookDefinitions(info docInfo) []string {
	raw, ok := extension(info.top, webhooksExt)
	if !ok {
		return nil
	}
	var out []string
	switch m := raw.(type) {
	case map[string]any:
		if s, ok := m["delivery"].(string); ok {
			out = append(out, s)
		}
		if ev, ok := m["events"].([]any); ok {
			for _, e := range ev {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	case []any: // a plain list of definition names
		for _, e := range m {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
