package chaos

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// webhookProxy is the Kubernetes Service in front of the replicas: it hands
// each webhook delivery to the next replica in rotation. A replica that is
// out of rotation is skipped; a delivery sent to a replica that has just died
// (still in rotation, as during the endpoints controller's lag) gets 502,
// which the simulated Zoom retries by its time-scaled rules.
type webhookProxy struct {
	URL string

	mu       sync.Mutex
	backends []string // host:port per replica slot, "" when out of rotation
	proxies  map[string]*httputil.ReverseProxy
	next     int

	transport *http.Transport
	srv       *http.Server
	done      chan struct{}

	forwarded  atomic.Int64
	badGateway atomic.Int64 // forwarding failed: the replica was dead or died mid-request
	noBackend  atomic.Int64 // nobody in rotation
}

func newWebhookProxy(slots int) (*webhookProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &webhookProxy{
		URL:      "http://" + ln.Addr().String(),
		backends: make([]string, slots),
		proxies:  map[string]*httputil.ReverseProxy{},
		transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       10 * time.Second,
			ResponseHeaderTimeout: 5 * time.Second,
		},
		done: make(chan struct{}),
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(p.done)
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// set puts a replica slot in rotation at addr, or takes it out with "".
func (p *webhookProxy) set(slot int, addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backends[slot] = addr
}

// pick returns the next backend in rotation.
func (p *webhookProxy) pick() *httputil.ReverseProxy {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range len(p.backends) {
		addr := p.backends[p.next%len(p.backends)]
		p.next++
		if addr == "" {
			continue
		}
		rp := p.proxies[addr]
		if rp == nil {
			target := &url.URL{Scheme: "http", Host: addr}
			rp = &httputil.ReverseProxy{
				Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
				Transport: p.transport,
				ErrorLog:  nil,
				ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
					p.badGateway.Add(1)
					w.WriteHeader(http.StatusBadGateway)
				},
			}
			p.proxies[addr] = rp
		}
		return rp
	}
	return nil
}

func (p *webhookProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rp := p.pick()
	if rp == nil {
		p.noBackend.Add(1)
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	p.forwarded.Add(1)
	rp.ServeHTTP(w, r)
}

func (p *webhookProxy) Close() {
	_ = p.srv.Close()
	<-p.done
	p.transport.CloseIdleConnections()
}

// tcpProxy sits between the replicas and PostgreSQL on a fixed port. cut
// makes the database unreachable — the listener closes (new connections are
// refused) and every open connection is dropped — and restore listens again
// on the same port. The shared PostgreSQL server itself is never touched.
type tcpProxy struct {
	addr     string
	upstream string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup

	accepted atomic.Int64
	dropped  atomic.Int64 // connections cut by cut()
}

func newTCPProxy(upstream string) (*tcpProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &tcpProxy{addr: ln.Addr().String(), upstream: upstream, conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	return p, nil
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	acceptEach(ln, &p.wg, func(c net.Conn) {
		p.accepted.Add(1)
		p.pipe(c)
	})
}

// acceptEach serves every connection ln accepts with handle, each on its
// own goroutine, until ln is closed; wg counts the loop and the handlers so
// a proxy's Close can wait for them.
func acceptEach(ln net.Listener, wg *sync.WaitGroup, handle func(net.Conn)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c)
			}()
		}
	}()
}

// track registers open connections; it refuses (false) while cut.
func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *tcpProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

func (p *tcpProxy) pipe(down net.Conn) {
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		_ = down.Close()
		return
	}
	if !p.track(down, up) {
		_ = down.Close()
		_ = up.Close()
		return
	}
	defer p.untrack(down, up)
	var once sync.Once
	closeBoth := func() { once.Do(func() { _ = down.Close(); _ = up.Close() }) }
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, down)
		closeBoth()
		close(done)
	}()
	_, _ = io.Copy(down, up)
	closeBoth()
	<-done
}

// cut closes the listener and drops every connection.
func (p *tcpProxy) cut() {
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
	p.dropped.Add(int64(len(conns) / 2)) // a client side and a server side each
}

// restore listens on the same port again.
func (p *tcpProxy) restore() error {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.Join(errors.New("chaos: the database proxy could not listen again on "+p.addr), err)
}

func (p *tcpProxy) Close() {
	p.cut()
	p.wg.Wait()
}

// latencyProxy forwards to target after a fixed delay.
type latencyProxy struct {
	URL  string
	srv  *http.Server
	done chan struct{}
	tr   *http.Transport
}

func newLatencyProxy(target string, delay time.Duration) (*latencyProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &latencyProxy{URL: "http://" + ln.Addr().String(), done: make(chan struct{}), tr: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport: p.tr,
		// A caller that died (kill -9) cancels its request: not worth a log line.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	p.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			rp.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})}
	go func() {
		defer close(p.done)
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

func (p *latencyProxy) Close() {
	_ = p.srv.Close()
	<-p.done
	p.tr.CloseIdleConnections()
}
