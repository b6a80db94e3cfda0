package catalog

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// The formats below are Backstage's (@backstage/catalog-model
// KubernetesValidatorFunctions and CommonValidatorFunctions), which follow
// Kubernetes object names, labels and annotations.
var (
	objectNameRE = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	dnsLabelRE   = regexp.MustCompile(`^[a-z0-9]+(?:-+[a-z0-9]+)*$`)
	kindRE       = regexp.MustCompile(`^[a-zA-Z][a-z0-9A-Z]*$`)
	versionRE    = regexp.MustCompile(`^[a-z0-9A-Z]+$`)
	tagRE        = regexp.MustCompile(`^[a-z0-9+#]+(-[a-z0-9+#]+)*$`)
)

// MaxNameLength bounds entity names, namespaces, kinds, label and annotation
// names, and tags.
const MaxNameLength = 63

// IsValidEntityName reports whether s can be metadata.name: sequences of
// [A-Za-z0-9] separated by [-_.], at most 63 characters.
func IsValidEntityName(s string) bool {
	return len(s) >= 1 && len(s) <= MaxNameLength && objectNameRE.MatchString(s)
}

// IsValidNamespace reports whether s can be metadata.namespace: a DNS label.
func IsValidNamespace(s string) bool { return isDNSLabel(s) }

// IsValidKind reports whether s can be an entity kind.
func IsValidKind(s string) bool {
	return len(s) >= 1 && len(s) <= MaxNameLength && kindRE.MatchString(s)
}

// IsValidAPIVersion reports whether s is [DNS subdomain "/"] version, e.g.
// backstage.io/v1alpha1.
func IsValidAPIVersion(s string) bool {
	return prefixAndOrSuffix(s, func(v string) bool {
		return len(v) >= 1 && len(v) <= MaxNameLength && versionRE.MatchString(v)
	})
}

// IsValidAnnotationKey reports whether s is [DNS subdomain "/"] name, e.g.
// github.com/project-slug; label keys follow the same rule.
func IsValidAnnotationKey(s string) bool { return prefixAndOrSuffix(s, IsValidEntityName) }

// IsValidLabelKey reports whether s can be a label key.
func IsValidLabelKey(s string) bool { return prefixAndOrSuffix(s, IsValidEntityName) }

// IsValidLabelValue reports whether s can be a label value (empty is allowed).
func IsValidLabelValue(s string) bool { return s == "" || IsValidEntityName(s) }

// IsValidTag reports whether s can be a tag: sequences of [a-z0-9+#]
// separated by single hyphens, at most 63 characters.
func IsValidTag(s string) bool {
	return len(s) >= 1 && len(s) <= MaxNameLength && tagRE.MatchString(s)
}

func isDNSLabel(s string) bool {
	return len(s) >= 1 && len(s) <= MaxNameLength && dnsLabelRE.MatchString(s)
}

func isDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !isDNSLabel(label) {
			return false
		}
	}
	return true
}

// prefixAndOrSuffix checks "suffix" or "prefix/suffix" where prefix is a DNS
// subdomain; more than one slash is invalid.
func prefixAndOrSuffix(s string, suffixOK func(string) bool) bool {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return suffixOK(parts[0])
	case 2:
		return isDNSSubdomain(parts[0]) && suffixOK(parts[1])
	}
	return false
}

// isAbsoluteURL approximates the WHATWG URL parser Backstage uses for links:
// a scheme and something after it.
func isAbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}

// EntityRef is a parsed reference such as "group:default/team-a".
type EntityRef struct {
	Kind, Namespace, Name string
}

// String is the ref in its full form, kind:namespace/name.
func (r EntityRef) String() string {
	return strings.ToLower(r.Kind) + ":" + r.Namespace + "/" + r.Name
}

// ParseEntityRef parses "[kind:][namespace/]name", filling a missing kind or
// namespace from the defaults (Backstage: spec.owner defaults to kind Group,
// and to the entity's own namespace).
func ParseEntityRef(ref, defaultKind, defaultNamespace string) (EntityRef, error) {
	r := EntityRef{Kind: defaultKind, Namespace: defaultNamespace}
	rest := ref
	if i := strings.Index(rest, ":"); i >= 0 {
		r.Kind, rest = rest[:i], rest[i+1:]
		if !IsValidKind(r.Kind) {
			return EntityRef{}, fmt.Errorf("entity reference %q: kind %q is not valid", ref, r.Kind)
		}
	}
	if i := strings.Index(rest, "/"); i >= 0 {
		r.Namespace, rest = rest[:i], rest[i+1:]
		if !IsValidNamespace(r.Namespace) {
			return EntityRef{}, fmt.Errorf("entity reference %q: namespace %q is not valid", ref, r.Namespace)
		}
	}
	r.Name = rest
	if !IsValidEntityName(r.Name) {
		return EntityRef{}, fmt.Errorf("entity reference %q: name %q is not valid", ref, r.Name)
	}
	if r.Kind == "" {
		return EntityRef{}, fmt.Errorf("entity reference %q has no kind and none is implied", ref)
	}
	return r, nil
}
