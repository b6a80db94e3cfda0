package githubsim

// PushModes is Push with git file modes for some of the paths: "120000"
// makes a symbolic link whose target is the content, "100755" an
// executable. Tests use it for templates that hold links.
func (s *Sim) PushModes(owner, name, branch string, files map[string][]byte, modes map[string]string, message, author string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.repoLocked(owner, name)
	if err != nil {
		return "", err
	}
	if branch == "" {
		branch = r.defaultBranch
	}
	ref := "refs/heads/" + branch
	parent := r.refs[ref]
	if parent == "" {
		parent = r.refs["refs/heads/"+r.defaultBranch]
	}
	flat := s.applyFiles(r, parent, files)
	for p, mode := range modes {
		if e, ok := flat[p]; ok {
			e.Mode = mode
			flat[p] = e
		}
	}
	a := s.user(author)
	sig := s.sigFor(a)
	sha := s.commitTree(r, parent, flat, message, sig, sig)
	s.moveRef(r, ref, sha, a, false)
	return sha, nil
}
