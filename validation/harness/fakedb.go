package main

// The fake database: a driver.Connector per sql.DB, all sharing one server that plays
// simpool's database (simpool/model/database.py) in real time:
//
//   - a cap on open connections shared by every sql.DB in the process: a backend asks
//     for its slot handshake_before_slot into the handshake (PostgreSQL's PGPROC after
//     the fork and startup packet; MySQL counts at accept, one over max_connections let
//     in); none free, the dial is refused with the flavour's error, answered
//     max(refused_handshake, handshake_before_slot) into the handshake; after it,
//     PostgreSQL refuses an ordinary role if fewer than the reserved slots are free, and
//     MySQL an ordinary user over max_connections (the whole handshake paid);
//   - a handshake delay on Connect that honours the dial's context (caller dials carry
//     the request's deadline; the opener's carry none);
//   - a query that holds its connection for its service time and honours its context:
//     one that would end after its deadline is cancelled when the deadline takes effect;
//     it marks the connection invalid (every driver destroys it), and the server keeps
//     running it, holding the slot until it would have finished (simpool's neutral
//     driver; pgx and the MySQL driver too, while lib/pq cancels it server-side).
//
// Unlimited cores (a query's service time is its hold time) and no accept loop (simpool's
// database.accept_rate 0): those are the server's rules, checked against a real
// PostgreSQL by tests/realpg; the pool's are what this harness is for.

import (
	"context"
	"database/sql/driver"
	"errors"
	"math"
	"sync"
	"time"
)

// dialRecord is one Connect call as the server saw it. Outcome is ok, refused (before
// authentication), refused_reserved (after it), deadline_exceeded, or pending (not
// ended when the stats were taken). Request is the request whose ctx dialed, or -1 for
// the pool's opener. CloseMs is when the pool closed the connection (-1: still open).
type dialRecord struct {
	Instance int     `json:"instance"`
	StartMs  float64 `json:"start_ms"`
	EndMs    float64 `json:"end_ms"`
	Outcome  string  `json:"outcome"`
	Request  int     `json:"request"`
	CloseMs  float64 `json:"close_ms"`
}

type server struct {
	cfg   *config
	epoch time.Time

	mu          sync.Mutex
	connections int // slots taken: handshakes in progress and sessions (finishing queries included)
	peak        int
	refused     int
	dials       []dialRecord
}

func (s *server) ms(t time.Time) float64 { return float64(t.Sub(s.epoch).Nanoseconds()) / 1e6 }

func (s *server) takeSlotLocked() {
	s.connections++
	if s.connections > s.peak {
		s.peak = s.connections
	}
}

func (s *server) releaseSlot() {
	s.mu.Lock()
	s.connections--
	s.mu.Unlock()
}

// startDial logs a dial as it starts (so a dial still under way at the end is seen, as
// simpool counts dials when they start); the returned index is for endDial.
func (s *server) startDial(inst int, start time.Time, req *request) int {
	id := -1
	if req != nil {
		id = req.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dials = append(s.dials, dialRecord{inst, s.ms(start), -1, "pending", id, -1})
	return len(s.dials) - 1
}

func (s *server) endDial(i int, outcome string) {
	end := time.Now()
	s.mu.Lock()
	s.dials[i].EndMs, s.dials[i].Outcome = s.ms(end), outcome
	s.mu.Unlock()
}

// sleepCtx waits d, unless ctx's deadline comes first by the clock: then it waits until
// the deadline takes effect and returns ctx's error. (Waiting on both timers at once
// would let Go's scheduler decide races a millisecond wide: a deadline takes effect one
// goroutine later than its timer fires, so work due in the same timer batch wins. The
// server, not the runtime, decides which comes first; simpool compares the times.)
func sleepCtx(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok && time.Now().Add(d).After(deadline) {
		<-ctx.Done()
		return ctx.Err()
	}
	if d > 0 {
		time.Sleep(d)
	}
	return nil
}

func (s *server) connect(ctx context.Context, inst int) (driver.Conn, error) {
	start := time.Now()
	req, _ := ctx.Value(requestKey{}).(*request)
	dial := s.startDial(inst, start, req)
	cfg := s.cfg
	handshake := time.Duration(cfg.HandshakeMs * 1e6)
	beforeSlot := time.Duration(float64(handshake) * cfg.HandshakeBeforeSlot)
	refusedAt := time.Duration(float64(handshake) * math.Max(cfg.RefusedHandshake, cfg.HandshakeBeforeSlot))
	// Accept, fork, TLS and the startup packet come before the backend asks for a slot;
	// a client that gives up meanwhile never takes one.
	if err := sleepCtx(ctx, beforeSlot); err != nil {
		s.endDial(dial, "deadline_exceeded")
		return nil, err
	}
	limit := cfg.MaxConnections
	if cfg.Flavor == "mysql" {
		limit++ // MySQL lets one more in at accept, for CONNECTION_ADMIN
	}
	s.mu.Lock()
	if s.connections >= limit {
		// No slot (no PGPROC, or over MySQL's count): refused before authentication.
		s.refused++
		s.mu.Unlock()
		if err := sleepCtx(ctx, refusedAt-beforeSlot); err != nil {
			s.endDial(dial, "deadline_exceeded")
			return nil, err
		}
		s.endDial(dial, "refused")
		return nil, errors.New(cfg.Errors.TooMany)
	}
	s.takeSlotLocked()
	s.mu.Unlock()
	if err := sleepCtx(ctx, handshake-beforeSlot); err != nil {
		s.releaseSlot() // the client gave up mid-handshake: the backend exits
		s.endDial(dial, "deadline_exceeded")
		return nil, err
	}
	// After authentication the servers check once more, the whole handshake paid:
	// PostgreSQL its reserved slots (postinit.c), MySQL an ordinary user over the cap.
	s.mu.Lock()
	var refusal string
	free := cfg.MaxConnections - s.connections
	switch {
	case cfg.Flavor == "postgres" && free < cfg.SuperuserReserved:
		refusal = cfg.Errors.ReservedSuperuser
	case cfg.Flavor == "postgres" && free < cfg.SuperuserReserved+cfg.Reserved:
		refusal = cfg.Errors.ReservedRole
	case cfg.Flavor == "mysql" && s.connections > cfg.MaxConnections:
		refusal = cfg.Errors.TooMany
	}
	if refusal != "" {
		s.refused++
		s.connections--
	}
	s.mu.Unlock()
	if refusal != "" {
		s.endDial(dial, "refused_reserved")
		return nil, errors.New(refusal)
	}
	s.endDial(dial, "ok")
	return &conn{s: s, dial: dial, freedAt: time.Now()}, nil
}

// conn is one session. database/sql serialises its use (one goroutine at a time).
//
// It also times, for the replay in simpool, when the pool really handed it to a request
// and took it back: freedAt is when it was created (Connect returned) or last returned
// (putConn calls IsValid first thing), so a request that asked before then waited for
// it, and one that asked after took it idle.
type conn struct {
	s       *server
	dial    int       // its dialRecord
	broken  bool      // a query was cancelled mid-flight: the driver destroyed the socket
	busyTil time.Time // when the server finishes the query it is running (if cancelled)
	freedAt time.Time
	holder  *request
}

func (c *conn) ExecContext(ctx context.Context, _ string, _ []driver.NamedValue) (driver.Result, error) {
	req := ctx.Value(requestKey{}).(*request)
	start := time.Now()
	req.execStart = start
	req.acquired = req.asked
	if c.freedAt.After(req.asked) {
		req.acquired = c.freedAt
	}
	c.holder = req
	if err := ctx.Err(); err != nil {
		return nil, err // a context already done: nothing is sent, the conn stays good (as in pgx)
	}
	service := time.Duration(req.ServiceMs * 1e6)
	if err := sleepCtx(ctx, service); err != nil {
		c.broken = true
		c.busyTil = start.Add(service)
		return nil, err
	}
	req.completed = true
	return driver.RowsAffected(0), nil
}

// IsValid is driver.Validator, which putConn calls as it takes the conn back: false
// after a cancelled query, so the pool discards it.
func (c *conn) IsValid() bool {
	c.freedAt = time.Now()
	if c.holder != nil {
		c.holder.released = c.freedAt
		c.holder = nil
	}
	return !c.broken
}

// Close frees the session's slot, once any query the server still runs has finished.
func (c *conn) Close() error {
	now := time.Now()
	c.s.mu.Lock()
	c.s.dials[c.dial].CloseMs = c.s.ms(now)
	c.s.mu.Unlock()
	if wait := c.busyTil.Sub(now); wait > 0 {
		time.AfterFunc(wait, c.s.releaseSlot)
		return nil
	}
	c.s.releaseSlot()
	return nil
}

func (c *conn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("fakedb: no statements") }
func (c *conn) Begin() (driver.Tx, error)           { return nil, errors.New("fakedb: no transactions") }

// connector is one sql.DB's way to the shared server.
type connector struct {
	s    *server
	inst int
}

func (k connector) Connect(ctx context.Context) (driver.Conn, error) { return k.s.connect(ctx, k.inst) }
func (k connector) Driver() driver.Driver                            { return fakeDriver{} }

type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("fakedb: use the connector")
}
