// Command ferretdb runs an embedded FerretDB (MongoDB wire protocol over SQLite)
// for local development, tests and CI on machines without Docker or mongod.
// It is started and stopped by scripts/infra.sh; it is not production software.
//
//	ferretdb -listen 127.0.0.1:27117 -data .infra/data/ferretdb
//
// FerretDB itself listens on an ephemeral 127.0.0.1 port; clients connect to
// -listen, served by a small proxy that serialises writes (see proxy.go for why).
//
// Once -listen is bound the process logs a line containing "ferretdb ready",
// which the script waits for. SIGTERM/SIGINT close the listener, all connections
// and the SQLite databases, then the process exits with status 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27117", "TCP address clients connect to (host:port)")
	data := flag.String("data", "", "directory for the SQLite database files (created if missing)")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn or error")
	serialize := flag.Bool("serialize-writes", true,
		"run writing commands one at a time, making single-document updates atomic as in MongoDB")
	flag.Parse()

	// Reads allocate about their documents' size several times over (patch-upstream.sh, fix 6): at
	// the default GOGC=100 the collector took a quarter of the CPU of a 30,000-document read, 200
	// cuts that process's CPU by about a fifth for ≈ 50 MB more peak heap. GOGC still overrides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}

	if *data == "" {
		fatalf("-data is required")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fatalf("invalid -log-level %q: %v", *logLevel, err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dir, err := filepath.Abs(*data)
	if err != nil {
		fatalf("resolving -data: %v", err)
	}

	if err = os.MkdirAll(dir, 0o755); err != nil {
		fatalf("creating -data directory: %v", err)
	}

	// Bind the public address first so that "port already in use" fails fast.
	pub, err := net.Listen("tcp", *listen)
	if err != nil {
		fatalf("listening on %s: %v", *listen, err)
	}

	// The SQLite handler wants a "file:" URI naming a directory, with a trailing slash;
	// every MongoDB database becomes one <name>.sqlite file in it.
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		fatalf("starting FerretDB: %v", err)
	}

	// ferretdb.New has already bound its socket, so MongoDBURI does not block.
	u, err := url.Parse(f.MongoDBURI())
	if err != nil {
		fatalf("parsing FerretDB URI: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ferretDone := make(chan struct{})
	go func() {
		defer close(ferretDone)
		_ = f.Run(ctx) // returns once ctx is canceled and its connections are closed
	}()

	p := newProxy(u.Host, *serialize, logger.With(slog.String("name", "proxy")))
	go p.serve(pub)
	go p.watchdog(ctx.Done())

	// SIGUSR1 writes every goroutine's stack to the log (what a stalled database waits on)
	// and keeps running; scripts/infra.sh dump sends it.
	dump := make(chan os.Signal, 1)
	signal.Notify(dump, syscall.SIGUSR1)
	go func() {
		for range dump {
			logger.Warn("goroutine dump follows (SIGUSR1)")
			_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 2)
		}
	}()

	logger.Info(fmt.Sprintf("ferretdb ready on mongodb://%s/", pub.Addr()),
		slog.String("mongodb_version", version.Get().MongoDBVersion),
		slog.Bool("serialize_writes", *serialize),
		slog.String("data", dir),
	)

	<-ctx.Done()
	logger.Info("ferretdb stopping")

	_ = pub.Close()
	p.closeAll() // FerretDB waits for its connections, which are the proxy's
	<-ferretDone

	logger.Info("ferretdb stopped")
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferretdb: "+format+"\n", args...)
	os.Exit(2)
}
