package catalog

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// rootFields are the only top-level fields an entity may have
// (Backstage's NoForeignRootFieldsEntityPolicy).
var rootFields = map[string]bool{
	"apiVersion": true, "kind": true, "metadata": true, "spec": true, "relations": true, "status": true,
}

// componentAPIVersions are the apiVersions the Component kind accepts.
var componentAPIVersions = map[string]bool{"backstage.io/v1alpha1": true, "backstage.io/v1beta1": true}

// validator collects the problems of one document.
type validator struct {
	doc      int
	problems []Problem
}

func (v *validator) add(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	v.problems = append(v.problems, Problem{Doc: v.doc, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) entity(root *yaml.Node) {
	root = deref(root)
	if root.Kind != yaml.MappingNode {
		v.add(root, "", "an entity must be a mapping")
		return
	}
	fields := mapping(root)
	for _, kv := range fields {
		if !rootFields[kv.key.Value] {
			v.add(kv.key, kv.key.Value, "unknown root field (allowed: apiVersion, kind, metadata, spec, relations, status)")
		}
	}

	apiVersion := v.requiredString(root, fields, "apiVersion")
	if apiVersion != nil && !IsValidAPIVersion(apiVersion.Value) {
		v.add(apiVersion, "apiVersion", "%q is not [DNS subdomain/]version, e.g. %s", apiVersion.Value, APIVersion)
	}
	kind := v.requiredString(root, fields, "kind")
	if kind != nil && !IsValidKind(kind.Value) {
		v.add(kind, "kind", "%q is not a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters", kind.Value)
	}

	namespace := DefaultNamespace
	if md, ok := v.requiredMapping(root, fields, "metadata"); ok {
		namespace = v.metadata(md)
	}
	if kind != nil && kind.Value == "Component" {
		if apiVersion != nil && !componentAPIVersions[apiVersion.Value] {
			v.add(apiVersion, "apiVersion", "kind Component needs backstage.io/v1alpha1 or backstage.io/v1beta1, not %q", apiVersion.Value)
		}
		if spec, ok := v.requiredMapping(root, fields, "spec"); ok {
			v.componentSpec(spec, namespace)
		}
	} else if spec := get(fields, "spec"); spec != nil && deref(spec).Kind != yaml.MappingNode {
		v.add(spec, "spec", "must be a mapping")
	}
	// What the field checks let through must still be plain JSON-like data
	// (string keys, no self-referencing aliases), as Backstage stores it.
	if len(v.problems) == 0 {
		var e Entity
		if err := root.Decode(&e); err != nil {
			v.add(root, "", "cannot be read as an entity: %v", err)
		}
	}
}

// metadata checks the metadata block and returns the entity's namespace.
func (v *validator) metadata(md *yaml.Node) string {
	fields := mapping(md)
	if name := v.requiredString(md, fields, "metadata.name"); name != nil && !IsValidEntityName(name.Value) {
		v.add(name, "metadata.name", "%q is not sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters", name.Value)
	}
	namespace := DefaultNamespace
	if ns := v.optionalString(fields, "metadata.namespace"); ns != nil {
		if IsValidNamespace(ns.Value) {
			namespace = ns.Value
		} else {
			v.add(ns, "metadata.namespace", "%q is not sequences of [a-z0-9] separated by [-], at most 63 characters", ns.Value)
		}
	}
	for _, f := range []string{"metadata.title", "metadata.uid", "metadata.etag"} {
		if n := v.optionalString(fields, f); n != nil && n.Value == "" {
			v.add(n, f, "must not be empty")
		}
	}
	v.optionalString(fields, "metadata.description")

	for _, block := range []struct {
		field          string
		keyOK, valueOK func(string) bool
		what           string
	}{
		{"metadata.labels", IsValidLabelKey, IsValidLabelValue, "label"},
		{"metadata.annotations", IsValidAnnotationKey, func(string) bool { return true }, "annotation"},
	} {
		n := get(fields, last(block.field))
		if n == nil {
			continue
		}
		if n = deref(n); n.Kind != yaml.MappingNode {
			v.add(n, block.field, "must be a mapping")
			continue
		}
		for _, kv := range mapping(n) {
			f := block.field + "." + kv.key.Value
			if !block.keyOK(kv.key.Value) {
				v.add(kv.key, f, "%q is not a valid %s key: [DNS subdomain/]name, the name sequences of [a-zA-Z0-9] separated by [-_.], at most 63 characters", kv.key.Value, block.what)
			}
			val := deref(kv.value)
			if !isString(val) {
				v.add(val, f, "the value must be a string (quote it)")
			} else if !block.valueOK(val.Value) {
				v.add(val, f, "%q is not a valid %s value", val.Value, block.what)
			}
		}
	}

	if tags := get(fields, "tags"); tags != nil {
		if tags = deref(tags); tags.Kind != yaml.SequenceNode {
			v.add(tags, "metadata.tags", "must be a list")
		} else {
			for i, t := range tags.Content {
				t = deref(t)
				if !isString(t) || !IsValidTag(t.Value) {
					v.add(t, "metadata.tags."+strconv.Itoa(i), "%q is not sequences of [a-z0-9+#] separated by [-], at most 63 characters", t.Value)
				}
			}
		}
	}

	if links := get(fields, "links"); links != nil {
		if links = deref(links); links.Kind != yaml.SequenceNode {
			v.add(links, "metadata.links", "must be a list")
		} else {
			for i, l := range links.Content {
				f := "metadata.links." + strconv.Itoa(i)
				if l = deref(l); l.Kind != yaml.MappingNode {
					v.add(l, f, "must be a mapping with a url")
					continue
				}
				lf := mapping(l)
				if u := v.requiredString(l, lf, f+".url"); u != nil && !isAbsoluteURL(u.Value) {
					v.add(u, f+".url", "%q is not an absolute URL", u.Value)
				}
				for _, sub := range []string{"title", "icon", "type"} {
					if n := v.optionalString(lf, f+"."+sub); n != nil && n.Value == "" {
						v.add(n, f+"."+sub, "must not be empty")
					}
				}
			}
		}
	}
	return namespace
}

// componentSpec checks the Component kind's spec (its JSON schema, plus that
// the references parse as entity references).
func (v *validator) componentSpec(spec *yaml.Node, namespace string) {
	fields := mapping(spec)
	for _, f := range []string{"type", "lifecycle", "owner"} {
		if n := v.requiredString(spec, fields, "spec."+f); n != nil && n.Value == "" {
			v.add(n, "spec."+f, "must not be empty")
		}
	}
	// References must parse; Backstage resolves them into relations.
	for _, ref := range []struct{ field, defaultKind string }{
		{"owner", "Group"}, {"system", "System"}, {"subcomponentOf", "Component"},
	} {
		n := get(fields, ref.field)
		if n == nil {
			continue
		}
		if n = deref(n); !isString(n) || n.Value == "" {
			if ref.field != "owner" { // owner was reported above
				v.add(n, "spec."+ref.field, "must be a non-empty string")
			}
			continue
		}
		if _, err := ParseEntityRef(n.Value, ref.defaultKind, namespace); err != nil {
			v.add(n, "spec."+ref.field, "%v", err)
		}
	}
	for _, f := range []string{"providesApis", "consumesApis", "dependsOn", "dependencyOf"} {
		n := get(fields, f)
		if n == nil {
			continue
		}
		if n = deref(n); n.Kind != yaml.SequenceNode {
			v.add(n, "spec."+f, "must be a list of entity references")
			continue
		}
		for i, item := range n.Content {
			item = deref(item)
			if !isString(item) || item.Value == "" {
				v.add(item, "spec."+f+"."+strconv.Itoa(i), "must be a non-empty string")
			}
		}
	}
}

// requiredString returns the string value of field (a dotted path whose last
// element is looked up in fields), or reports why there is none.
func (v *validator) requiredString(parent *yaml.Node, fields []keyValue, field string) *yaml.Node {
	n := get(fields, last(field))
	if n == nil || isNull(deref(n)) {
		v.add(parent, field, "is required")
		return nil
	}
	if n = deref(n); !isString(n) {
		v.add(n, field, "must be a string")
		return nil
	}
	return n
}

// optionalString is requiredString for a field that may be absent.
func (v *validator) optionalString(fields []keyValue, field string) *yaml.Node {
	n := get(fields, last(field))
	if n == nil {
		return nil
	}
	if n = deref(n); !isString(n) {
		v.add(n, field, "must be a string")
		return nil
	}
	return n
}

func (v *validator) requiredMapping(parent *yaml.Node, fields []keyValue, field string) (*yaml.Node, bool) {
	n := get(fields, field)
	if n == nil || isNull(deref(n)) {
		v.add(parent, field, "is required")
		return nil, false
	}
	if n = deref(n); n.Kind != yaml.MappingNode {
		v.add(n, field, "must be a mapping")
		return nil, false
	}
	return n, true
}

type keyValue struct{ key, value *yaml.Node }

func mapping(n *yaml.Node) []keyValue {
	var out []keyValue
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, keyValue{n.Content[i], n.Content[i+1]})
	}
	return out
}

func get(fields []keyValue, key string) *yaml.Node {
	for _, kv := range fields {
		if kv.key.Value == key {
			return kv.value
		}
	}
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isString reports whether a YAML scalar is a string once resolved (so
// `lifecycle: 1` or `owner: true` are not strings, as in Backstage's JSON).
func isString(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

func last(field string) string {
	for i := len(field) - 1; i >= 0; i-- {
		if field[i] == '.' {
			return field[i+1:]
		}
	}
	return field
}
