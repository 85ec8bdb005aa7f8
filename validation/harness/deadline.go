package main

// A request's context deadline that also times itself: Go fires a timer a fraction of a
// millisecond late, and a waiter goroutine woken by it runs later still, so when the
// deadline really took effect is the moment Done closed, which only the context knows.
// database/sql sees an ordinary context: Done, Err (context.DeadlineExceeded), Value.

import (
	"context"
	"sync"
	"time"
)

type deadlineCtx struct {
	context.Context // the parent, for Value
	deadline        time.Time
	done            chan struct{}
	timer           *time.Timer

	mu    sync.Mutex
	err   error
	fired time.Time // when Done closed; zero if it never did
}

func withDeadline(parent context.Context, timeout time.Duration) *deadlineCtx {
	c := &deadlineCtx{Context: parent, deadline: time.Now().Add(timeout), done: make(chan struct{})}
	c.timer = time.AfterFunc(timeout, c.expire)
	return c
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *deadlineCtx) Done() <-chan struct{}       { return c.done }

func (c *deadlineCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *deadlineCtx) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err, c.fired = context.DeadlineExceeded, time.Now()
		close(c.done)
	}
}

// stop ends the deadline once the request is over; the moment it fired, if it did.
func (c *deadlineCtx) stop() time.Time {
	c.timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}
