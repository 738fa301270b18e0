package main

// Why a proxy: FerretDB v1 executes update/findAndModify as "query, then write
// the modified document back" without a transaction or lock (upstream issue
// FerretDB/FerretDB#3040). Concurrent writers on different connections then lose
// updates: 50 parallel {$inc: {n: 1}} end with n≈14, and 20 parallel
// findOneAndUpdate({owner: null}, {$set: {owner: i}}) all "win". MongoDB makes
// every single-document write atomic, and the service relies on that (counters,
// one-time codes, claims), so this proxy restores it the blunt way: requests that
// may write are forwarded one at a time across all connections (a global write
// lock, like MongoDB 2.x had). Read-only commands still run concurrently.
//
// The MongoDB wire protocol is framed: every message starts with a 16-byte header
// whose first int32 (little endian) is the whole message length. FerretDB answers
// every request with exactly one reply, so the proxy reads one reply per request.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
)

const (
	opMsg          = 2013
	maxMessageSize = 48 * 1024 * 1024 // MongoDB's maxMessageSizeBytes
	flagMoreToCome = 1 << 1           // OP_MSG flag: the sender expects no reply
)

// readOnlyCommands never modify data, so they do not take the write lock.
// Everything else (including anything the proxy cannot parse) does.
var readOnlyCommands = map[string]bool{
	"aggregate": true, "buildinfo": true, "collstats": true, "connectionstatus": true,
	"count": true, "currentop": true, "datasize": true, "dbstats": true, "distinct": true,
	"endsessions": true, "explain": true, "find": true, "getcmdlineopts": true,
	"getlog": true, "getmore": true, "getparameter": true, "hello": true, "hostinfo": true,
	"ismaster": true, "killcursors": true, "listcollections": true, "listcommands": true,
	"listdatabases": true, "listindexes": true, "ping": true, "saslcontinue": true,
	"saslstart": true, "serverstatus": true, "validate": true, "whatsmyuri": true,
}

type proxy struct {
	upstream  string
	serialize bool
	logger    *slog.Logger

	writeMu sync.Mutex // held while one writing request is in flight upstream

	connsMu sync.Mutex
	closing bool // set by closeAll; later connections are closed at once
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	served  chan struct{} // closed when serve returns
}

func newProxy(upstream string, serialize bool, logger *slog.Logger) *proxy {
	return &proxy{upstream: upstream, serialize: serialize, logger: logger, conns: map[net.Conn]struct{}{}, served: make(chan struct{})}
}

// serve accepts client connections until l is closed.
func (p *proxy) serve(l net.Listener) {
	defer close(p.served)

	for {
		c, err := l.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.logger.Error("accept failed", slog.Any("error", err))
			}
			return
		}

		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c)
		}()
	}
}

// closeAll must be called after closing the listener given to serve: it waits for
// serve to return, closes every open client and upstream connection and waits for
// the connection handlers.
func (p *proxy) closeAll() {
	<-p.served

	p.connsMu.Lock()
	p.closing = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.connsMu.Unlock()
	p.wg.Wait()
}

// track registers c so that closeAll can close it; it returns false (and the
// caller must give up) if closeAll has already run.
func (p *proxy) track(c net.Conn) bool {
	p.connsMu.Lock()
	defer p.connsMu.Unlock()
	if p.closing {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.connsMu.Lock()
	defer p.connsMu.Unlock()
	delete(p.conns, c)
}

func (p *proxy) handle(client net.Conn) {
	defer client.Close()
	if !p.track(client) {
		return
	}
	defer p.untrack(client)

	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		p.logger.Error("dialing embedded FerretDB failed", slog.Any("error", err))
		return
	}
	defer server.Close()
	if !p.track(server) {
		return
	}
	defer p.untrack(server)

	cr, sr := bufio.NewReader(client), bufio.NewReader(server)

	for {
		req, err := readMessage(cr)
		if err != nil {
			if !isClosed(err) {
				p.logger.Warn("reading client request failed", slog.Any("error", err))
			}
			return
		}

		locked := p.serialize && mayWrite(req)
		if locked {
			p.writeMu.Lock()
		}

		var res []byte
		if _, err = server.Write(req); err == nil {
			res, err = readMessage(sr)
		}

		if locked {
			p.writeMu.Unlock()
		}

		if err != nil {
			if !isClosed(err) {
				p.logger.Warn("embedded FerretDB round trip failed", slog.Any("error", err))
			}
			return
		}

		// A client that set moreToCome (unacknowledged write) does not read a reply,
		// but FerretDB sends one anyway: drop it so the stream stays in step.
		if isMoreToCome(req) {
			continue
		}

		if _, err = client.Write(res); err != nil {
			return
		}
	}
}

// readMessage reads one complete wire protocol message (header included).
func readMessage(r *bufio.Reader) ([]byte, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, err
	}

	n := int(int32(binary.LittleEndian.Uint32(lenBuf[:])))
	if n < 16 || n > maxMessageSize {
		return nil, fmt.Errorf("invalid message length %d", n)
	}

	msg := make([]byte, n)
	copy(msg, lenBuf[:])
	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return nil, err
	}

	return msg, nil
}

func opCode(msg []byte) int32 { return int32(binary.LittleEndian.Uint32(msg[12:16])) }

func isMoreToCome(msg []byte) bool {
	return opCode(msg) == opMsg && len(msg) >= 20 && binary.LittleEndian.Uint32(msg[16:20])&flagMoreToCome != 0
}

// mayWrite reports whether msg might modify data. Only OP_MSG requests whose body
// section starts with a known read-only command name are treated as read-only.
// OP_MSG layout: header(16) flagBits(4) then sections; a kind-0 section is one BSON
// document whose first element's name is the command name:
// kind(1) docLen(4) elemType(1) elemName(cstring) ...
func mayWrite(msg []byte) bool {
	if opCode(msg) != opMsg {
		// Legacy OP_QUERY is only the drivers' connection handshake (hello / isMaster): never a
		// write. Locking it made every new connection wait behind a long write, and server
		// selection time out, while the database itself was fine.
		return false
	}

	const pos = 16 + 4
	if len(msg) < pos+1+4+1+1 || msg[pos] != 0 {
		return true // a kind-1 (document sequence) section first means insert/update/delete
	}

	nameStart := pos + 1 + 4 + 1
	end := nameStart
	for end < len(msg) && msg[end] != 0 {
		end++
	}
	if end >= len(msg) {
		return true
	}

	return !readOnlyCommands[strings.ToLower(string(msg[nameStart:end]))]
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
