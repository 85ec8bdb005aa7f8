// Command harness replays a request trace in real time through the real database/sql
// pool, one sql.DB per app instance, in front of a fake database (fakedb.go), and
// writes what happened as JSON: each request's outcome and pool wait, each dial, and
// every DBStats field of every pool, taken the moment the last request finishes.
//
// Usage: harness < config.json > result.json
//
// simpool's validation tests (validation/compare.py) replay the same trace, with the
// durations measured here, through the model and compare the two.
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

type config struct {
	Flavor              string  `json:"flavor"`
	MaxConnections      int     `json:"max_connections"`
	SuperuserReserved   int     `json:"superuser_reserved_connections"`
	Reserved            int     `json:"reserved_connections"`
	HandshakeMs         float64 `json:"handshake_ms"`
	HandshakeBeforeSlot float64 `json:"handshake_before_slot"`
	RefusedHandshake    float64 `json:"refused_handshake"`
	Errors              struct {
		TooMany           string `json:"too_many"`
		ReservedSuperuser string `json:"reserved_superuser"`
		ReservedRole      string `json:"reserved_role"`
	} `json:"errors"`
	Instances int `json:"instances"`
	Pool      struct {
		MaxOpen    int     `json:"max_open"`
		MaxIdle    *int    `json:"max_idle"` // absent: Go's default (2)
		LifetimeMs float64 `json:"conn_max_lifetime_ms"`
		IdleTimeMs float64 `json:"conn_max_idle_time_ms"`
	} `json:"pool"`
	Requests []*request `json:"requests"`
}

type requestKey struct{}

// request is one trace row and, once replayed, what happened to it (times in ms from
// the start of the replay).
type request struct {
	ID        int     `json:"id"`
	TMs       float64 `json:"t_ms"` // scheduled arrival
	Instance  int     `json:"instance"`
	ServiceMs float64 `json:"service_ms"`
	TimeoutMs float64 `json:"timeout_ms"` // 0 = no deadline

	asked     time.Time // just before ExecContext: when the pool is asked for a conn
	execStart time.Time // the driver's query started
	acquired  time.Time // the pool handed over its conn (see conn.freedAt)
	released  time.Time // the pool took it back
	completed bool      // the query ran to its end
}

// requestResult is what happened to one request, in ms from the start of the replay.
// Wait is from asking to the driver's query (or to the error); acquired and released
// are null if it never got a connection.
type requestResult struct {
	ID         int      `json:"id"`
	Instance   int      `json:"instance"`
	ArrivalMs  float64  `json:"arrival_ms"`
	WaitMs     float64  `json:"wait_ms"`
	LatencyMs  float64  `json:"latency_ms"`
	AcquiredMs *float64 `json:"acquired_ms"`
	ReleasedMs *float64 `json:"released_ms"`
	Completed  bool     `json:"completed"`
	DeadlineMs *float64 `json:"deadline_ms"` // when its deadline took effect, from asking; null if never
	Outcome    string   `json:"outcome"`
	Error      string   `json:"error,omitempty"`
}

type stats struct {
	MaxOpenConnections int     `json:"max_open_connections"`
	OpenConnections    int     `json:"open_connections"`
	InUse              int     `json:"in_use"`
	Idle               int     `json:"idle"`
	WaitCount          int64   `json:"wait_count"`
	WaitDurationS      float64 `json:"wait_duration_s"`
	MaxIdleClosed      int64   `json:"max_idle_closed"`
	MaxIdleTimeClosed  int64   `json:"max_idle_time_closed"`
	MaxLifetimeClosed  int64   `json:"max_lifetime_closed"`
}

type output struct {
	GoVersion       string          `json:"go_version"`
	EndMs           float64         `json:"end_ms"` // when the last request finished (stats taken then)
	Requests        []requestResult `json:"requests"`
	Dials           []dialRecord    `json:"dials"`
	Stats           []stats         `json:"stats"`
	PeakConnections int             `json:"peak_connections"`
	Refused         int             `json:"refused_connections"`
}

func openPools(cfg *config, s *server) []*sql.DB {
	dbs := make([]*sql.DB, cfg.Instances)
	for i := range dbs {
		db := sql.OpenDB(connector{s, i})
		db.SetMaxOpenConns(cfg.Pool.MaxOpen)
		if cfg.Pool.MaxIdle != nil {
			db.SetMaxIdleConns(*cfg.Pool.MaxIdle)
		}
		db.SetConnMaxLifetime(time.Duration(cfg.Pool.LifetimeMs * 1e6))
		db.SetConnMaxIdleTime(time.Duration(cfg.Pool.IdleTimeMs * 1e6))
		dbs[i] = db
	}
	return dbs
}

func outcome(err error, cfg *config) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	case errors.Is(err, driver.ErrBadConn):
		return "bad_connection"
	case err.Error() == cfg.Errors.TooMany || err.Error() == cfg.Errors.ReservedSuperuser ||
		err.Error() == cfg.Errors.ReservedRole:
		return "too_many_connections"
	}
	return "other"
}

// serve is the handler of one request: one ExecContext under the request's deadline.
func serve(db *sql.DB, s *server, r *request, res *requestResult) {
	ctx := context.WithValue(context.Background(), requestKey{}, r)
	var deadline *deadlineCtx
	if r.TimeoutMs > 0 {
		deadline = withDeadline(ctx, time.Duration(r.TimeoutMs*1e6))
		ctx = deadline
	}
	r.asked = time.Now()
	_, err := db.ExecContext(ctx, "SELECT pg_sleep(service)")
	end := time.Now()
	if deadline != nil {
		if fired := deadline.stop(); !fired.IsZero() {
			ms := float64(fired.Sub(r.asked).Nanoseconds()) / 1e6
			res.DeadlineMs = &ms
		}
	}
	res.ID, res.Instance, res.Completed = r.ID, r.Instance, r.completed
	res.ArrivalMs = s.ms(r.asked)
	res.LatencyMs = float64(end.Sub(r.asked).Nanoseconds()) / 1e6
	res.WaitMs = res.LatencyMs
	if !r.execStart.IsZero() {
		res.WaitMs = float64(r.execStart.Sub(r.asked).Nanoseconds()) / 1e6
		acquired, released := s.ms(r.acquired), s.ms(r.released)
		res.AcquiredMs, res.ReleasedMs = &acquired, &released
	}
	res.Outcome = outcome(err, s.cfg)
	if err != nil {
		res.Error = err.Error()
	}
}

func run(cfg *config) output {
	s := &server{cfg: cfg}
	dbs := openPools(cfg, s)
	results := make([]requestResult, len(cfg.Requests))
	var wg sync.WaitGroup
	wg.Add(len(cfg.Requests))
	s.epoch = time.Now()
	// Arrivals at absolute offsets from the epoch, so a late timer never shifts the rest.
	for i, r := range cfg.Requests {
		if d := time.Until(s.epoch.Add(time.Duration(r.TMs * 1e6))); d > 0 {
			time.Sleep(d)
		}
		go func(i int, r *request) {
			defer wg.Done()
			serve(dbs[r.Instance], s, r, &results[i])
		}(i, r)
	}
	wg.Wait()
	// The moment the last request finished: every pool's stats, then the server's.
	out := output{GoVersion: runtime.Version(), EndMs: s.ms(time.Now()), Requests: results}
	for _, db := range dbs {
		st := db.Stats()
		out.Stats = append(out.Stats, stats{
			st.MaxOpenConnections, st.OpenConnections, st.InUse, st.Idle, st.WaitCount,
			st.WaitDuration.Seconds(), st.MaxIdleClosed, st.MaxIdleTimeClosed, st.MaxLifetimeClosed,
		})
	}
	s.mu.Lock()
	out.Dials, out.PeakConnections, out.Refused = s.dials, s.peak, s.refused
	s.mu.Unlock()
	return out
}

func main() {
	var cfg config
	dec := json.NewDecoder(os.Stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		fmt.Fprintln(os.Stderr, "harness: bad config:", err)
		os.Exit(2)
	}
	for i, r := range cfg.Requests {
		if r.Instance < 0 || r.Instance >= cfg.Instances {
			fmt.Fprintf(os.Stderr, "harness: request %d: instance %d, but there are %d\n", i, r.Instance, cfg.Instances)
			os.Exit(2)
		}
	}
	out := run(&cfg)
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}
