package catalog_test

import (
	"errors"
	"testing"

	"github.com/goldenpath-dev/goldenpath/internal/catalog"
)

// FuzzValidate checks that any input gives either nil, a parse error or a
// *ValidationError with at least one problem, and never panics; and that
// what Validate accepts, Parse decodes.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("apiVersion: x\nkind: Component\nmetadata: {name: a}\nspec: &s {owner: *s}\n"))
	f.Add([]byte("---\n- 1\n---\nmetadata:\n  annotations: {a/b/c: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := catalog.Validate(data)
		var ve *catalog.ValidationError
		if errors.As(err, &ve) && len(ve.Problems) == 0 {
			t.Fatal("a ValidationError without problems")
		}
		if err == nil {
			if _, err := catalog.Parse(data); err != nil {
				t.Fatalf("Validate accepted what Parse refuses: %v", err)
			}
		}
	})
}
