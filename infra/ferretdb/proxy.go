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
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
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

	// What holds writeMu, for the slow-write watchdog (guarded by holderMu).
	holderMu    sync.Mutex
	holder      string
	holderSince time.Time

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
		start := time.Now()
		if locked {
			p.writeMu.Lock()
			p.setHolder(describe(req), time.Now())
		}

		var res []byte
		if _, err = server.Write(req); err == nil {
			res, err = readMessage(sr)
		}

		if elapsed := time.Since(start); elapsed > slowRequest {
			p.logger.Warn("slow request", slog.String("command", describe(req)), slog.Bool("write_lock", locked),
				slog.Duration("elapsed", elapsed))
		}
		if locked {
			p.setHolder("", time.Time{})
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

// slowRequest is the round trip above which a request is logged; the watchdog reports a
// write lock held longer than that while it is still held.
const slowRequest = 5 * time.Second

func (p *proxy) setHolder(what string, since time.Time) {
	p.holderMu.Lock()
	p.holder, p.holderSince = what, since
	p.holderMu.Unlock()
}

// watchdog logs, every slowRequest, a write lock held longer than slowRequest (what holds
// it and since when), so that a stalled database names its culprit in the log.
func (p *proxy) watchdog(done <-chan struct{}) {
	t := time.NewTicker(slowRequest)
	defer t.Stop()
	var dumped time.Time
	for {
		select {
		case <-done:
			return
		case <-t.C:
			p.holderMu.Lock()
			what, since := p.holder, p.holderSince
			p.holderMu.Unlock()
			if what != "" && time.Since(since) > slowRequest {
				p.logger.Warn("write lock still held", slog.String("command", what), slog.Duration("held", time.Since(since)))
				// Once per stalled write: every goroutine's stack shows what FerretDB waits on.
				if time.Since(since) > 6*slowRequest && since != dumped {
					dumped = since
					p.logger.Warn("goroutine dump follows (write lock held over 30s)")
					_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 2)
				}
			}
		}
	}
}

// describe names a request for the log: "<command> <db>.<collection>" for OP_MSG.
func describe(msg []byte) string {
	if opCode(msg) != opMsg {
		return fmt.Sprintf("opcode %d", opCode(msg))
	}
	const pos = 16 + 4
	if len(msg) < pos+1+4 || msg[pos] != 0 {
		return "OP_MSG (document sequence first)"
	}
	docLen := int(int32(binary.LittleEndian.Uint32(msg[pos+1:])))
	doc := msg[pos+1:]
	if docLen < 5 || docLen > len(doc) {
		return "OP_MSG (malformed)"
	}
	var cmd, target, db string
	for i, first := 4, true; i < docLen-1; first = false {
		typ := doc[i]
		nameEnd := i + 1
		for nameEnd < docLen && doc[nameEnd] != 0 {
			nameEnd++
		}
		name := string(doc[i+1 : nameEnd])
		v := nameEnd + 1
		size, str := bsonValueSize(doc[:docLen], typ, v)
		if size < 0 {
			break
		}
		if first {
			cmd, target = name, str
		} else if name == "$db" {
			db = str
		}
		i = v + size
	}
	return fmt.Sprintf("%s %s.%s", cmd, db, target)
}

// bsonFixedSizes are the sizes of the BSON types without a length prefix (double, ObjectId,
// bool, datetime, null, int32, timestamp, int64, decimal128, min/max key).
var bsonFixedSizes = map[byte]int{0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16, 0x7F: 0, 0xFF: 0}

// bsonValueSize returns the size of the BSON value of type typ at doc[v:] (-1 if unknown or
// truncated) and, for a string, its value.
func bsonValueSize(doc []byte, typ byte, v int) (int, string) {
	if n, ok := bsonFixedSizes[typ]; ok {
		if v+n > len(doc) {
			return -1, ""
		}
		return n, ""
	}
	if v+4 > len(doc) {
		return -1, ""
	}
	n := int(int32(binary.LittleEndian.Uint32(doc[v:])))
	switch typ {
	case 0x02, 0x0D, 0x0E: // string, JavaScript, symbol: int32 length, bytes, NUL
		if n < 1 || v+4+n > len(doc) {
			return -1, ""
		}
		return 4 + n, string(doc[v+4 : v+4+n-1])
	case 0x03, 0x04: // document, array
		if n < 5 || v+n > len(doc) {
			return -1, ""
		}
		return n, ""
	case 0x05: // binary: int32 length, subtype, bytes
		if n < 0 || v+5+n > len(doc) {
			return -1, ""
		}
		return 5 + n, ""
	}
	return -1, ""
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
