//go:build !linux

package thread

import (
	"sync"
	"time"
)

// parker blocks a worker on a channel holding at most one token (no futex
// outside Linux).
type parker struct {
	once  sync.Once
	token chan struct{}
	timer *time.Timer // worker's goroutine only
}

func (p *parker) ch() chan struct{} {
	p.once.Do(func() { p.token = make(chan struct{}, 1) })
	return p.token
}

// unpark leaves a token unless one is already waiting. Any goroutine.
func (p *parker) unpark() {
	select {
	case p.ch() <- struct{}{}:
	default:
	}
}

// wait blocks until there is a token, or timeout passes (0: no timeout), and
// takes the token. It reports whether it timed out without one. The worker's
// goroutine only.
func (p *parker) wait(timeout time.Duration) (timedOut bool) {
	if timeout <= 0 {
		<-p.ch()
		return false
	}
	if p.timer == nil {
		p.timer = time.NewTimer(timeout)
	} else {
		p.timer.Reset(timeout)
	}
	defer p.timer.Stop()
	select {
	case <-p.ch():
		return false
	case <-p.timer.C:
		return true
	}
}
