package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// readScope reads the Scope of a payload in one forward pass that skips
// every value it does not need. encoding/json walked the whole 11 KB of a
// typical delivery twice (validation, then decoding) and was half the CPU of
// answering one; most deliveries end with this scope (no workflow wants
// them), and those that are queued are checked with json.Valid besides.
// Only the structure is checked here (strings closed, brackets balanced,
// nothing after the document).
func readScope(data []byte) (Scope, error) {
	var s Scope
	sc := scanner{data: data}
	if sc.space(); sc.i >= len(data) || data[sc.i] != '{' {
		return Scope{}, errors.New("the payload is not a JSON object")
	}
	err := sc.object(func(key string) error {
		switch key {
		case "action":
			return sc.str(&s.Action)
		case "ref":
			return sc.str(&s.Ref)
		case "deleted":
			return sc.boolean(&s.Deleted)
		case "installation":
			return sc.object(func(key string) error {
				if key == "id" {
					return sc.int64(&s.InstallationID)
				}
				return sc.skip()
			})
		case "repository":
			return sc.object(func(key string) error {
				switch key {
				case "name":
					return sc.str(&s.Repo)
				case "default_branch":
					return sc.str(&s.DefaultBranch)
				}
				return sc.skip()
			})
		case "pull_request":
			return sc.object(func(key string) error {
				if key != "head" {
					return sc.skip()
				}
				return sc.object(func(key string) error {
					if key == "ref" {
						return sc.str(&s.HeadRef)
					}
					return sc.skip()
				})
			})
		}
		return sc.skip()
	})
	if err != nil {
		return Scope{}, err
	}
	if sc.space(); sc.i != len(data) {
		return Scope{}, sc.fail("data after the JSON object")
	}
	return s, nil
}

type scanner struct {
	data []byte
	i    int
}

// maxDepth bounds nesting, as encoding/json does (10,000).
const maxDepth = 10000

var errEnd = errors.New("unexpected end of JSON input")

func (sc *scanner) fail(what string) error {
	if sc.i >= len(sc.data) {
		return errEnd
	}
	return fmt.Errorf("invalid JSON at offset %d: %s", sc.i, what)
}

func (sc *scanner) space() {
	for sc.i < len(sc.data) {
		switch sc.data[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// object reads {"key": value, ...}, calling member for each key with the
// scanner at its value; a value that is not an object is skipped (its
// fields are then absent, as with encoding/json into a struct).
func (sc *scanner) object(member func(key string) error) error {
	sc.space()
	if sc.i < len(sc.data) && sc.data[sc.i] != '{' {
		return sc.skip()
	}
	if sc.i >= len(sc.data) {
		return errEnd
	}
	sc.i++
	sc.space()
	if sc.i < len(sc.data) && sc.data[sc.i] == '}' {
		sc.i++
		return nil
	}
	for {
		sc.space()
		raw, err := sc.stringToken()
		if err != nil {
			return err
		}
		sc.space()
		if sc.i >= len(sc.data) || sc.data[sc.i] != ':' {
			return sc.fail("expected ':' after an object key")
		}
		sc.i++
		key, err := unquote(raw)
		if err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		sc.space()
		if sc.i >= len(sc.data) {
			return errEnd
		}
		switch sc.data[sc.i] {
		case ',':
			sc.i++
		case '}':
			sc.i++
			return nil
		default:
			return sc.fail("expected ',' or '}' in an object")
		}
	}
}

// stringToken returns the next string with its quotes, escapes undecoded.
func (sc *scanner) stringToken() ([]byte, error) {
	if sc.i >= len(sc.data) {
		return nil, errEnd
	}
	if sc.data[sc.i] != '"' {
		return nil, sc.fail("expected a string")
	}
	start := sc.i
	for sc.i++; sc.i < len(sc.data); sc.i++ {
		switch c := sc.data[sc.i]; {
		case c == '\\':
			sc.i++
		case c == '"':
			sc.i++
			return sc.data[start:sc.i], nil
		case c < 0x20:
			return nil, sc.fail("control character in a string")
		}
	}
	return nil, errEnd
}

// unquote decodes a string token; a plain ASCII one is only sliced.
func unquote(raw []byte) (string, error) {
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c >= 0x80 {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", err
			}
			return s, nil
		}
	}
	return string(raw[1 : len(raw)-1]), nil
}

// str reads a string into dst; null leaves it empty; another value is an
// error, as encoding/json reports a type mismatch.
func (sc *scanner) str(dst *string) error {
	sc.space()
	if sc.literal("null") {
		return nil
	}
	raw, err := sc.stringToken()
	if err != nil {
		return err
	}
	*dst, err = unquote(raw)
	return err
}

func (sc *scanner) boolean(dst *bool) error {
	sc.space()
	switch {
	case sc.literal("true"):
		*dst = true
	case sc.literal("false"), sc.literal("null"):
	default:
		return sc.fail("expected a boolean")
	}
	return nil
}

func (sc *scanner) int64(dst *int64) error {
	sc.space()
	if sc.literal("null") {
		return nil
	}
	start := sc.i
	sc.scalar()
	n, err := strconv.ParseInt(string(sc.data[start:sc.i]), 10, 64)
	if err != nil {
		return sc.fail("expected an integer")
	}
	*dst = n
	return nil
}

func (sc *scanner) literal(word string) bool {
	if len(sc.data)-sc.i >= len(word) && string(sc.data[sc.i:sc.i+len(word)]) == word {
		sc.i += len(word)
		return true
	}
	return false
}

// scalar moves past a number or literal.
func (sc *scanner) scalar() {
	for sc.i < len(sc.data) {
		switch sc.data[sc.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
			return
		}
		sc.i++
	}
}

// skip moves past one value of any kind.
func (sc *scanner) skip() error {
	sc.space()
	if sc.i >= len(sc.data) {
		return errEnd
	}
	switch sc.data[sc.i] {
	case '"':
		_, err := sc.stringToken()
		return err
	case '{', '[':
		return sc.skipNested()
	case '}', ']', ',', ':':
		return sc.fail("expected a value")
	}
	start := sc.i
	sc.scalar()
	if sc.i == start {
		return sc.fail("expected a value")
	}
	return nil
}

// skipNested moves past an object or array, counting brackets outside
// strings; it checks they pair up, not the grammar between them.
func (sc *scanner) skipNested() error {
	var stack []byte
	for sc.i < len(sc.data) {
		switch c := sc.data[sc.i]; c {
		case '"':
			if _, err := sc.stringToken(); err != nil {
				return err
			}
			continue
		case '{', '[':
			if len(stack) == maxDepth {
				return sc.fail("nested too deeply")
			}
			stack = append(stack, c)
		case '}', ']':
			if len(stack) == 0 || (c == '}') != (stack[len(stack)-1] == '{') {
				return sc.fail("mismatched bracket")
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				sc.i++
				return nil
			}
		}
		sc.i++
	}
	return errEnd
}
