package template

import (
	"fmt"
	"regexp"
)

// maxLoginLength is the longest GitHub user or organization login.
const maxLoginLength = 39

// loginRE is GitHub's rule for user and organization logins: letters,
// digits and single hyphens, neither first nor last.
var loginRE = regexp.MustCompile(`^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$`)

// CheckOrg checks that org is a GitHub organization login. The org is
// written into CODEOWNERS, catalog-info.yaml and URLs, so anything else
// (a newline, an @, a space) could add lines or change their meaning.
func CheckOrg(org string) error {
	if !loginRE.MatchString(org) || len(org) > maxLoginLength {
		return fmt.Errorf("organization %s is not a GitHub login: letters, digits and single hyphens, not first or last, at most %d characters", quoted(org), maxLoginLength)
	}
	return nil
}
