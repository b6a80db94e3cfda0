package template

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"text/template/parse"
	"time"
)

// DefaultRenderTimeout bounds a render when RenderContext.Timeout is zero.
// The built-in templates render in a few milliseconds; a template still
// rendering after this long loops.
const DefaultRenderTimeout = 5 * time.Second

// ErrRenderTimeout is wrapped by the error of a render stopped by its
// deadline.
var ErrRenderTimeout = errors.New("rendering took too long")

// text/template has no context and no step limit, and a template can loop
// without calling any function ({{ range 1000000000 }}) or through
// recursive {{ template }} calls. So every parsed tree is instrumented: the
// body of every {{ range }} and of every template starts with a call to
// tickFunc, which fails once the render's deadline has passed or its
// context is done. Every loop, and every step of a recursion, then ends
// within one iteration of the stop; without a loop, execution is linear in
// the template's size and every function's output is capped.
const tickFunc = "goldenpath_deadline_check"

// stopper is the stop state of one render.
type stopper struct {
	stopped atomic.Bool
	timeout time.Duration
	ctx     context.Context
	cleanup []func() bool
}

// newStopper starts the clock of one render; release it with stop.
func newStopper(ctx context.Context, timeout time.Duration) *stopper {
	if timeout <= 0 {
		timeout = DefaultRenderTimeout
	}
	s := &stopper{timeout: timeout, ctx: ctx}
	set := func() { s.stopped.Store(true) }
	s.cleanup = append(s.cleanup, time.AfterFunc(timeout, set).Stop, context.AfterFunc(ctx, set))
	return s
}

func (s *stopper) stop() {
	for _, f := range s.cleanup {
		f()
	}
}

// err says why the render must stop, or nil while it may go on.
func (s *stopper) err() error {
	if !s.stopped.Load() {
		return nil
	}
	if err := s.ctx.Err(); err != nil {
		return fmt.Errorf("rendering stopped: %w", err)
	}
	return fmt.Errorf("%w: stopped after %s (a template loops or builds too much output)", ErrRenderTimeout, s.timeout)
}

// tick is the template function tickFunc. It prints nothing.
func (s *stopper) tick() (string, error) {
	if err := s.err(); err != nil {
		return "", err
	}
	return "", nil
}

// instrument adds the deadline check to a parsed tree: at its start (a
// template may call itself) and at the start of every range body.
func instrument(t *parse.Tree) {
	if t == nil || t.Root == nil {
		return
	}
	instrumentList(t.Root)
	t.Root.Nodes = append([]parse.Node{tickNode(t.Root.Pos)}, t.Root.Nodes...)
}

func instrumentList(l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.RangeNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
			if n.List != nil {
				n.List.Nodes = append([]parse.Node{tickNode(n.Pos)}, n.List.Nodes...)
			}
		case *parse.IfNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
		case *parse.WithNode:
			instrumentList(n.List)
			instrumentList(n.ElseList)
		case *parse.ListNode:
			instrumentList(n)
		}
	}
}

// tickNode is {{ goldenpath_deadline_check }} at pos.
func tickNode(pos parse.Pos) *parse.ActionNode {
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos,
		Args: []parse.Node{parse.NewIdentifier(tickFunc).SetPos(pos)}}
	pipe := &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Cmds: []*parse.CommandNode{cmd}}
	return &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Pipe: pipe}
}
