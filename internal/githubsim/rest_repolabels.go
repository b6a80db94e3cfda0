package githubsim

// A repository's labels.

import (
	"net/http"
	"strings"
)

func (s *Sim) listLabels(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	out := []obj{}
	for _, l := range r.labels {
		out = append(out, s.labelJSON(r, l))
	}
	paginate(c, out)
}

func validColor(c string) bool {
	if len(c) != 6 {
		return false
	}
	for _, ch := range strings.ToLower(c) {
		if !strings.ContainsRune("0123456789abcdef", ch) {
			return false
		}
	}
	return true
}

func (s *Sim) createLabel(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var body struct {
		Name        string `json:"name"`
		Color       string `json:"color"`
		Description string `json:"description"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Name == "" {
		c.invalid("Label", "name", "missing_field", "")
		return
	}
	color := strings.TrimPrefix(body.Color, "#")
	if color == "" {
		color = "ededed"
	}
	if !validColor(color) {
		c.invalid("Label", "color", "invalid", "")
		return
	}
	if r.label(body.Name) != nil {
		c.invalid("Label", "name", "already_exists", "")
		return
	}
	l := &label{id: s.id(), name: body.Name, color: strings.ToLower(color), description: body.Description}
	r.labels = append(r.labels, l)
	c.w.header.Set("Location", s.base+"/repos/"+r.fullName()+"/labels/"+pathEscape(l.name))
	c.json(http.StatusCreated, s.labelJSON(r, l))
}

func (s *Sim) getLabel(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	l := r.label(c.path("name"))
	if l == nil {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.labelJSON(r, l))
}

func (s *Sim) updateLabel(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	l := r.label(c.path("name"))
	if l == nil {
		c.notFound()
		return
	}
	var body struct {
		NewName     *string `json:"new_name"`
		Color       *string `json:"color"`
		Description *string `json:"description"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Color != nil {
		col := strings.TrimPrefix(*body.Color, "#")
		if !validColor(col) {
			c.invalid("Label", "color", "invalid", "")
			return
		}
		l.color = strings.ToLower(col)
	}
	if body.NewName != nil && *body.NewName != "" {
		l.name = *body.NewName
	}
	if body.Description != nil {
		l.description = *body.Description
	}
	c.json(http.StatusOK, s.labelJSON(r, l))
}
