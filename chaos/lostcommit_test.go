package chaos

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWorkerCommitLostBeforeFlush: the workers' transactions commit without
// waiting for PostgreSQL to flush them (synchronous_commit off). This test
// makes the case that setting is bet on happen: PostgreSQL acknowledges a
// worker's commit, then crashes before the commit reached the disk, while
// cohostd lives on.
//
// A proxy that speaks PostgreSQL's protocol stands between the replicas and
// the server. Mid-storm, the next commit of a join's transaction (the one
// that writes the participant's row, enqueues the grant and marks the event
// processed) is turned into a ROLLBACK on its way to the server, and the
// worker is told COMMIT: from the worker's side the commit succeeded, in
// the database it never happened. A join's transaction is pipelined (no
// BEGIN or COMMIT statement: its Sync message commits it); the proxy then
// sends a ROLLBACK before that Sync and keeps the server's answer to it
// from the worker, which sees its statements succeed and the Sync answered. At that instant the proxy stops passing
// anything on (so nothing committed after the lost commit survives, as in a
// crash that loses the tail of the WAL), drops every connection and refuses
// new ones for 1.5 s, then lets them in again: PostgreSQL restarted.
//
// What it proves: the lost commit's join is processed anyway, everyone ends
// confirmed, nobody twice, and no job is left behind — because the worker
// did not report the job done to River before its writes were shown to be
// on disk (store's flush barrier), so River ran it again after the
// "restart". Without the barrier River's completer, which keeps a finished
// job in memory and retries writing it until the database answers, records
// the job completed after the restart, and the join is never processed:
// this test then fails with one joiner lost and the event unprocessed.
func TestWorkerCommitLostBeforeFlush(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioLimit)
	defer cancel()
	var proxy *pgCrashProxy
	// Retries after 0.6 s, 2.4 s and 7.2 s, as in the outage scenario:
	// deliveries refused while the database is down are delivered later.
	c := startCluster(ctx, t, clusterOptions{TimeScale: 0.002, AgentLatency: agentLatency,
		Database: func(upstream string) (string, error) {
			var err error
			proxy, err = newPGCrashProxy(upstream)
			if err == nil {
				t.Cleanup(proxy.Close)
			}
			return proxy.addr, err
		}})
	began := time.Now()
	m1, m2 := c.openMeeting(t), c.openMeeting(t)
	s := startStorm(ctx, c.Sim.Sim, 200, 8*time.Second, m1, m2)
	s.at(ctx, 3*time.Second)
	proxy.arm()
	var eventID string
	select {
	case eventID = <-proxy.lost:
	case <-ctx.Done():
		t.Fatal("no join's commit came through the proxy after arming it")
	}
	proxy.crash(1500 * time.Millisecond)
	s.wait(t)
	r := c.settle(ctx, t, "worker commit lost before its flush", began, m1, m2)

	var processedAt int64
	if err := c.queueConn.QueryRow(context.Background(), `SELECT processed_at FROM webhook_events WHERE id = $1`, eventID).
		Scan(&processedAt); err != nil {
		t.Fatalf("reading the event whose commit was lost (%s): %v", eventID, err)
	}
	r.Extra = fmt.Sprintf("commits lost 1 (event %s, processed again: %v), database connections dropped %d",
		eventID, processedAt > 0, proxy.dropped.Load())
	c.report(t, r)
	if processedAt == 0 {
		t.Errorf("the event whose commit was lost (%s) was never processed again:\n%s", eventID, c.logs.problemsText())
	}
}

// pgCrashProxy forwards PostgreSQL's wire protocol (version 3, without
// TLS, as the tests connect) and can lose one commit and "crash".
type pgCrashProxy struct {
	addr     string
	upstream string

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	frozen chan struct{} // closed: nothing more is forwarded to the server
	// crashed is closed once the connections of the frozen proxy are gone.
	crashed chan struct{}
	armed   bool

	// lost receives the id of the event whose transaction's commit was
	// turned into a rollback.
	lost    chan string
	wg      sync.WaitGroup
	dropped atomic.Int64
}

func newPGCrashProxy(upstream string) (*pgCrashProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &pgCrashProxy{addr: ln.Addr().String(), upstream: upstream, conns: map[net.Conn]struct{}{},
		frozen: make(chan struct{}), crashed: make(chan struct{}), lost: make(chan string, 1)}
	p.serve(ln)
	return p, nil
}

func (p *pgCrashProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	acceptEach(ln, &p.wg, p.pipe)
}

// arm makes the next commit of a join's transaction the lost one.
func (p *pgCrashProxy) arm() {
	p.mu.Lock()
	p.armed = true
	p.mu.Unlock()
}

// crash drops every connection, refuses new ones for down, then listens
// again; forwarding to the server, stopped when the commit was lost,
// resumes for the new connections.
func (p *pgCrashProxy) crash(down time.Duration) {
	// Let the faked COMMIT reach the worker before its connection goes.
	time.Sleep(20 * time.Millisecond)
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	crashed := p.crashed
	p.mu.Unlock()
	_ = ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	close(crashed)
	p.dropped.Add(int64(len(conns) / 2))
	time.Sleep(down)
	p.mu.Lock()
	p.frozen, p.crashed = make(chan struct{}), make(chan struct{})
	p.mu.Unlock()
	for range 50 {
		ln, err := net.Listen("tcp", p.addr)
		if err == nil {
			p.serve(ln)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	panic("chaos: the database proxy could not listen again on " + p.addr)
}

func (p *pgCrashProxy) Close() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	for _, c := range conns {
		_ = c.Close()
	}
	p.wg.Wait()
}

func (p *pgCrashProxy) track(cs ...net.Conn) (frozen, crashed chan struct{}, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return nil, nil, false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return p.frozen, p.crashed, true
}

func (p *pgCrashProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

// takeArmed reports, once, that the proxy is armed.
func (p *pgCrashProxy) takeArmed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.armed {
		return false
	}
	p.armed = false
	return true
}

// freeze stops forwarding to the server on every connection.
func (p *pgCrashProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.frozen:
	default:
		close(p.frozen)
	}
}

// pgSession is what the proxy knows of one client session.
type pgSession struct {
	stmts map[string]string // prepared statement name → SQL
	// Of the transaction under way: it marks an event processed (and which),
	// and it writes a participant's row as a join does.
	marks, joins bool
	eventID      string
	// rewrite: the server's next CommandComplete is the ROLLBACK sent in
	// place of the client's COMMIT; the client is told COMMIT.
	rewrite atomic.Bool
	// idle: the server's last ReadyForQuery said no transaction block is
	// open, so the client's next Sync ends an implicit transaction.
	idle atomic.Bool
	// swallow: the server's answers to the ROLLBACK the proxy sent before
	// the client's Sync are kept from the client.
	swallow atomic.Bool
}

func (p *pgCrashProxy) pipe(down net.Conn) {
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		_ = down.Close()
		return
	}
	frozen, crashed, ok := p.track(down, up)
	if !ok {
		_ = down.Close()
		_ = up.Close()
		return
	}
	defer p.untrack(down, up)
	var once sync.Once
	closeBoth := func() { once.Do(func() { _ = down.Close(); _ = up.Close() }) }
	sess := &pgSession{stmts: map[string]string{}}
	sess.idle.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer closeBoth()
		p.fromClient(down, up, sess, frozen, crashed)
	}()
	p.fromServer(up, down, sess)
	closeBoth()
	<-done
}

// fromClient forwards the client's messages, watching transactions.
func (p *pgCrashProxy) fromClient(down, up net.Conn, sess *pgSession, frozen, crashed chan struct{}) {
	// The startup message has no type byte.
	var n [4]byte
	if _, err := io.ReadFull(down, n[:]); err != nil {
		return
	}
	body := make([]byte, binary.BigEndian.Uint32(n[:])-4)
	if _, err := io.ReadFull(down, body); err != nil {
		return
	}
	if _, err := up.Write(append(n[:], body...)); err != nil {
		return
	}
	for {
		typ, payload, err := readMessage(down)
		if err != nil {
			return
		}
		select {
		case <-frozen:
			<-crashed // the server "crashed": nothing more reaches it
			return
		default:
		}
		switch typ {
		case 'P': // Parse: name, query
			if name, rest, ok := cstring(payload); ok {
				if query, _, ok := cstring(rest); ok {
					sess.stmts[name] = query
				}
			}
		case 'B': // Bind: portal, statement, formats, parameters
			p.bound(sess, payload)
		case 'S': // Sync: outside a transaction block it commits the implicit one
			if !sess.idle.Load() {
				break
			}
			if sess.marks && sess.joins && p.takeArmed() {
				// The lost commit: a ROLLBACK ends the implicit transaction
				// before the Sync; nothing after it may reach the server.
				p.freeze()
				sess.swallow.Store(true)
				for _, m := range rollbackMessages {
					_ = writeMessage(up, m.typ, m.payload)
				}
				_ = writeMessage(up, typ, payload)
				p.lost <- sess.eventID
				<-crashed
				return
			}
			sess.marks, sess.joins, sess.eventID = false, false, ""
		case 'Q':
			query, _, _ := cstring(payload)
			q := strings.ToLower(strings.TrimSpace(query))
			switch {
			case strings.HasPrefix(q, "commit"):
				if sess.marks && sess.joins && p.takeArmed() {
					// The lost commit: nothing after it may reach the server.
					p.freeze()
					sess.rewrite.Store(true)
					payload = append([]byte("rollback"), 0)
					_ = writeMessage(up, 'Q', payload)
					p.lost <- sess.eventID
					<-crashed
					return
				}
				sess.marks, sess.joins, sess.eventID = false, false, ""
			case strings.HasPrefix(q, "begin"), strings.HasPrefix(q, "rollback"):
				sess.marks, sess.joins, sess.eventID = false, false, ""
			}
		}
		if err := writeMessage(up, typ, payload); err != nil {
			return
		}
	}
}

// bound notes what a Bind runs: the event marked processed, a
// participant's row written the way a join writes it.
func (p *pgCrashProxy) bound(sess *pgSession, payload []byte) {
	_, rest, ok := cstring(payload) // portal
	if !ok {
		return
	}
	name, rest, ok := cstring(rest)
	if !ok {
		return
	}
	query := sess.stmts[name]
	params := bindParams(rest)
	if strings.Contains(query, "UPDATE webhook_events SET processed_at") {
		sess.marks = true
		// The event's id is the mark's last parameter, whether it is a
		// statement of its own or rides with the participant's write.
		if len(params) > 0 {
			sess.eventID = string(params[len(params)-1])
		}
	}
	if strings.Contains(query, "INSERT INTO participants (meeting_uuid, participant_key, user_id") ||
		strings.Contains(query, "AND version = $19") {
		sess.joins = true
	}
}

// rollbackMessages are ROLLBACK in the extended protocol: Parse, Bind and
// Execute of the unnamed statement. In an implicit transaction it aborts
// it; the server answers ParseComplete, BindComplete, a warning that no
// transaction block is in progress, and CommandComplete ROLLBACK.
var rollbackMessages = []struct {
	typ     byte
	payload []byte
}{
	{'P', []byte("\x00ROLLBACK\x00\x00\x00")},
	{'B', []byte("\x00\x00\x00\x00\x00\x00\x00\x00")},
	{'E', []byte("\x00\x00\x00\x00\x00")},
}

type pgMessage struct {
	typ     byte
	payload []byte
}

// fromServer forwards the server's messages, telling the client COMMIT
// where the server answered the ROLLBACK sent in its place, and keeping
// from it the answers to a ROLLBACK sent before its Sync.
func (p *pgCrashProxy) fromServer(up, down net.Conn, sess *pgSession) {
	var held []pgMessage // while swallowing: the server's messages up to its ReadyForQuery
	for {
		typ, payload, err := readMessage(up)
		if err != nil {
			return
		}
		if typ == 'C' && sess.rewrite.Load() && bytes.HasPrefix(payload, []byte("ROLLBACK")) {
			payload = append([]byte("COMMIT"), 0)
			sess.rewrite.Store(false)
		}
		if sess.swallow.Load() {
			if typ != 'Z' {
				held = append(held, pgMessage{typ, payload})
				continue
			}
			sess.swallow.Store(false)
			for _, m := range withoutRollback(held) {
				if err := writeMessage(down, m.typ, m.payload); err != nil {
					return
				}
			}
			held = nil
		}
		if typ == 'Z' && len(payload) > 0 {
			sess.idle.Store(payload[0] == 'I')
		}
		if err := writeMessage(down, typ, payload); err != nil {
			return
		}
	}
}

// withoutRollback drops the answers to rollbackMessages from the end of
// msgs (ParseComplete, BindComplete, notices, CommandComplete ROLLBACK). An
// error earlier in the pipeline made the server skip them: then msgs has
// none of them and is returned whole.
func withoutRollback(msgs []pgMessage) []pgMessage {
	n := len(msgs)
	if n == 0 || msgs[n-1].typ != 'C' || !bytes.HasPrefix(msgs[n-1].payload, []byte("ROLLBACK")) {
		return msgs
	}
	n--
	for n > 0 && msgs[n-1].typ == 'N' {
		n--
	}
	if n >= 2 && msgs[n-1].typ == '2' && msgs[n-2].typ == '1' {
		n -= 2
	}
	return msgs[:n]
}

func readMessage(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n < 4 || n > 64<<20 {
		return 0, nil, errors.New("chaos: bad message length")
	}
	payload := make([]byte, n-4)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return h[0], payload, nil
}

func writeMessage(w io.Writer, typ byte, payload []byte) error {
	msg := make([]byte, 5+len(payload))
	msg[0] = typ
	binary.BigEndian.PutUint32(msg[1:], uint32(4+len(payload)))
	copy(msg[5:], payload)
	_, err := w.Write(msg)
	return err
}

// cstring splits a NUL-terminated string off b.
func cstring(b []byte) (string, []byte, bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", nil, false
	}
	return string(b[:i]), b[i+1:], true
}

// bindParams returns a Bind message's parameter values, from its format
// codes on.
func bindParams(b []byte) [][]byte {
	if len(b) < 2 {
		return nil
	}
	nf := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+2*nf {
		return nil
	}
	b = b[2+2*nf:]
	if len(b) < 2 {
		return nil
	}
	np := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	var out [][]byte
	for range np {
		if len(b) < 4 {
			return out
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l < 0 {
			out = append(out, nil)
			continue
		}
		if int(l) > len(b) {
			return out
		}
		out = append(out, b[:l])
		b = b[l:]
	}
	return out
}
