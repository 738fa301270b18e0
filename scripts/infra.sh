#!/usr/bin/env bash
# Local real infrastructure for tests, benchmarks and local runs on machines
# without Docker: a MongoDB-protocol database (FerretDB over SQLite, see
# infra/ferretdb) and a single-node Apache Kafka broker in KRaft mode (jars from
# Maven Central, see infra/kafka/pom.xml). Both run as plain local processes
# bound to 127.0.0.1.
#
# Usage: scripts/infra.sh start [--fresh] [mongo|kafka|all]   (default: all)
#        scripts/infra.sh stop [mongo|kafka|all]
#        scripts/infra.sh status    (exit 0 if both run, 3 otherwise)
#        scripts/infra.sh env       (prints MONGO_URL=... / KAFKA_BROKERS=...)
#        scripts/infra.sh dump      (FerretDB writes every goroutine's stack to logs/mongo.log:
#                                    what a stalled database is waiting on)
#
# Environment:
#   MFA_INFRA_MONGO_PORT            default 27117
#   MFA_INFRA_KAFKA_PORT            default 19092
#   MFA_INFRA_KAFKA_CONTROLLER_PORT default 19093
#   MFA_INFRA_DIR    state dir (pids, env, logs, data, generated config);
#                    default <repo>/.infra. Point it elsewhere, with other ports,
#                    to run a second isolated set.
#   MFA_INFRA_FRESH=1               same as --fresh: wipe the data of the servers being started
#   MFA_INFRA_MONGO_TIMEOUT / MFA_INFRA_KAFKA_TIMEOUT   readiness timeouts in s (60 / 90)
#   MFA_INFRA_KAFKA_SASL_SSL_PORT   also listen with SASL_SSL there (SCRAM-SHA-256/512 users made
#                                   with `kafka-configs`, OAUTHBEARER with Kafka's unsecured-JWT
#                                   validator: tests only); needs MFA_INFRA_KAFKA_SSL_PEM, a PEM file
#                                   with the broker's PKCS#8 key and certificate chain
#
#        scripts/infra.sh kafka-configs ARGS...   Kafka's own kafka-configs tool (kafka.admin.ConfigCommand)
#                                   on the cached jars, e.g. to create a SCRAM user
#
# Build outputs (FerretDB binary, Kafka jars) are cached in <repo>/.cache/infra.
# Layout of the state dir:
#   <name>.pid, env, logs/<name>.log, data/<name>/, conf/ (generated Kafka config)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOST=127.0.0.1

MONGO_PORT="${MFA_INFRA_MONGO_PORT:-27117}"
KAFKA_PORT="${MFA_INFRA_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${MFA_INFRA_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_SASL_SSL_PORT="${MFA_INFRA_KAFKA_SASL_SSL_PORT:-}"
KAFKA_SSL_PEM="${MFA_INFRA_KAFKA_SSL_PEM:-}"
MONGO_TIMEOUT="${MFA_INFRA_MONGO_TIMEOUT:-60}"
KAFKA_TIMEOUT="${MFA_INFRA_KAFKA_TIMEOUT:-90}"
FRESH="${MFA_INFRA_FRESH:-0}"

INFRA_DIR="${MFA_INFRA_DIR:-$ROOT/.infra}"
mkdir -p "$INFRA_DIR"
INFRA_DIR="$(cd "$INFRA_DIR" && pwd)" # absolute: it ends up in process command lines
LOG_DIR="$INFRA_DIR/logs"
DATA_DIR="$INFRA_DIR/data"
CONF_DIR="$INFRA_DIR/conf"
ENV_FILE="$INFRA_DIR/env"

CACHE_DIR="$ROOT/.cache/infra"
FERRET_SRC="$ROOT/infra/ferretdb"
FERRET_BIN="$CACHE_DIR/bin/ferretdb"
KAFKA_POM="$ROOT/infra/kafka/pom.xml"
KAFKA_LIBS="$CACHE_DIR/kafka-libs"

ALL_NAMES=(mongo kafka)

die() { echo "infra: $*" >&2; exit 1; }
note() { echo "infra: $*" >&2; }

port_of() { case "$1" in mongo) echo "$MONGO_PORT" ;; kafka) echo "$KAFKA_PORT" ;; esac; }
pid_file() { echo "$INFRA_DIR/$1.pid"; }
log_file() { echo "$LOG_DIR/$1.log"; }
# Output of the Kafka JVM itself (startup errors, crashes); its log4j output goes to kafka.log.
kafka_out() { echo "$LOG_DIR/kafka.out"; }

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# True if process $1 exists and is not a zombie (an unreaped zombie still answers kill -0).
alive() {
  local stat
  stat="$(cat 2>/dev/null <"/proc/$1/stat")" || return 1
  stat="${stat##*) }" # the state letter follows "pid (comm) "
  [[ ${stat:0:1} != Z ]]
}

# Prints the recorded PID of server $1 if that process is alive and is really ours
# (its command line names our state dir), so a recycled PID is never trusted or killed.
running_pid() {
  local f pid cmd
  f="$(pid_file "$1")"
  [[ -s $f ]] || return 1
  pid="$(<"$f")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  cmd="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
  case "$1" in
    mongo) [[ $cmd == *"$FERRET_BIN"*"-data $DATA_DIR/mongo"* ]] || return 1 ;;
    kafka) [[ $cmd == *kafka.Kafka*"$CONF_DIR/server.properties"* ]] || return 1 ;;
  esac
  echo "$pid"
}

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# ---------------------------------------------------------------- build / fetch

sha_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

ensure_ferretdb() {
  local hash stamp="$CACHE_DIR/bin/ferretdb.sha256"
  hash="$(sha_of "$FERRET_SRC/go.mod" "$FERRET_SRC/go.sum" "$FERRET_SRC"/*.go "$FERRET_SRC/patch-upstream.sh")"
  if [[ -x $FERRET_BIN && -f $stamp && "$(<"$stamp")" == "$hash" ]]; then
    return 0
  fi

  command -v go >/dev/null || die "go is not installed (needed once to build infra/ferretdb)"

  note "building FerretDB launcher into .cache/infra (about a minute with cold Go caches)"
  mkdir -p "$CACHE_DIR/bin"
  local t0 buildlog="$CACHE_DIR/ferretdb-build.log"
  t0="$(now)"
  # GOTOOLCHAIN=local: never download another Go toolchain. -mod=readonly: go.sum is
  # committed and complete; a mismatch should fail instead of rewriting the repo.
  # ferretdb_no_postgresql: only the SQLite backend is used, so skip compiling pgx.
  # CGO_ENABLED=0: FerretDB's SQLite driver (modernc.org/sqlite) is pure Go.
  # The launcher is built against a patched copy of FerretDB (infra/ferretdb/patch-upstream.sh
  # says what and why): the module is copied out of the Go module cache, patched, and wired in
  # with a `replace` in a scratch copy of the launcher, so the repository's go.mod stays clean.
  local work="$CACHE_DIR/ferretdb-build" module_dir
  if ! (
    set -e
    rm -rf "$work" && mkdir -p "$work/launcher"
    cp "$FERRET_SRC/go.mod" "$FERRET_SRC/go.sum" "$FERRET_SRC"/*.go "$work/launcher/"
    cd "$work/launcher"
    module_dir="$(GOTOOLCHAIN=local go mod download -json github.com/FerretDB/FerretDB | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -d $module_dir ]] || { echo "FerretDB module not found in the Go module cache" >&2; exit 1; }
    cp -R "$module_dir" "$work/ferretdb" && chmod -R u+w "$work/ferretdb"
    bash "$FERRET_SRC/patch-upstream.sh" "$work/ferretdb"
    GOTOOLCHAIN=local go mod edit -replace "github.com/FerretDB/FerretDB=$work/ferretdb"
    GOTOOLCHAIN=local CGO_ENABLED=0 go build -mod=readonly -buildvcs=false \
      -trimpath -tags ferretdb_no_postgresql -o "$FERRET_BIN.tmp" .
  ) >"$buildlog" 2>&1; then
    tail -n 40 "$buildlog" >&2
    die "building infra/ferretdb failed (full log: $buildlog)"
  fi
  mv -f "$FERRET_BIN.tmp" "$FERRET_BIN"
  echo "$hash" >"$stamp"
  note "FerretDB launcher built in $(elapsed "$t0")"
}

ensure_kafka_libs() {
  command -v java >/dev/null || [[ -n ${JAVA_HOME:-} ]] || die "java is not installed"
  local hash stamp="$KAFKA_LIBS/.pom.sha256"
  hash="$(sha_of "$KAFKA_POM")"
  if [[ -f $stamp && "$(<"$stamp")" == "$hash" ]]; then
    return 0
  fi

  command -v mvn >/dev/null || die "mvn is not installed (needed once to fetch the Kafka jars)"
  note "fetching Kafka jars from Maven Central into .cache/infra"
  local t0 tmp="$KAFKA_LIBS.tmp" fetchlog="$CACHE_DIR/kafka-fetch.log"
  t0="$(now)"
  mkdir -p "$CACHE_DIR"
  rm -rf "$tmp"
  # Copy into a temp dir and rename, so an interrupted download never looks complete.
  if ! mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$fetchlog" 2>&1; then
    tail -n 40 "$fetchlog" >&2
    die "fetching the Kafka jars failed (full log: $fetchlog)"
  fi
  echo "$hash" >"$tmp/.pom.sha256"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  note "Kafka jars fetched in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- kafka config

write_kafka_config() {
  mkdir -p "$CONF_DIR" "$DATA_DIR/kafka"
  local listeners="PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT"
  local advertised="PLAINTEXT://$HOST:$KAFKA_PORT" protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  if [[ -n $KAFKA_SASL_SSL_PORT ]]; then
    [[ -f $KAFKA_SSL_PEM ]] || die "MFA_INFRA_KAFKA_SASL_SSL_PORT needs MFA_INFRA_KAFKA_SSL_PEM (broker key + certificate chain, PEM)"
    listeners+=",SASL_SSL://$HOST:$KAFKA_SASL_SSL_PORT"
    advertised+=",SASL_SSL://$HOST:$KAFKA_SASL_SSL_PORT"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  cat >"$CONF_DIR/server.properties" <<EOF
# Generated by scripts/infra.sh on every start; edits are overwritten.
# Single combined KRaft node (broker + controller) for local tests only.
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$DATA_DIR/kafka

# One node: every replication factor and min ISR is 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Fewer internal partitions: the first consumer group / transaction starts faster.
offsets.topic.num.partitions=3
transaction.state.log.num.partitions=3

# After a crash (SIGKILL) the restarted broker cannot register until the controller
# expired the old incarnation's session (default 9 s); keep that short.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000

num.partitions=3
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0

# Small machine (2 cores, 512 MB heap).
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
num.replica.fetchers=1
log.cleaner.threads=1
# The 128 MB default would take a quarter of the heap; Kafka requires more than
# 1 MiB per cleaner thread (exactly 1048576 is rejected), hence 2 MiB.
log.cleaner.dedupe.buffer.size=2097152
EOF
  if [[ -n $KAFKA_SASL_SSL_PORT ]]; then
    cat >>"$CONF_DIR/server.properties" <<EOF

# SASL_SSL listener (tests of secured clusters). SCRAM credentials live in the cluster metadata
# (scripts/infra.sh kafka-configs ... --add-config 'SCRAM-SHA-256=[password=...]'); OAUTHBEARER
# uses Kafka's default unsecured-JWT validator, so any well-formed unsigned token is accepted.
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$KAFKA_SSL_PEM
EOF
  fi

  cat >"$CONF_DIR/log4j.properties" <<EOF
# Generated by scripts/infra.sh. Everything at INFO into one file.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$(log_file kafka)
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
# Per-request logging is noise even at INFO.
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel\$=WARN
EOF
}

java_bin() { if [[ -n ${JAVA_HOME:-} ]]; then echo "$JAVA_HOME/bin/java"; else echo java; fi; }

# The JVM command line shared by the storage tool and the broker (main class appended).
kafka_jvm() {
  JVM=("$(java_bin)" -Xmx512m -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true -Dlog4j.configuration="file:$CONF_DIR/log4j.properties"
    -cp "$KAFKA_LIBS/*")
}

# KRaft log dirs must be formatted once with a cluster id before the first start.
format_kafka_storage() {
  [[ -f $DATA_DIR/kafka/meta.properties ]] && return 0
  local id
  # A cluster id is 16 random bytes in unpadded URL-safe base64 (22 chars). A leading
  # '-' would be parsed as an option, so draw again (Kafka's own generator does too).
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [[ $id != -* ]] && break
  done
  local JVM
  kafka_jvm
  if ! "${JVM[@]}" kafka.tools.StorageTool format -t "$id" -c "$CONF_DIR/server.properties" \
    >>"$(kafka_out)" 2>&1; then
    tail -n 40 "$(kafka_out)" >&2
    die "formatting Kafka storage in $DATA_DIR/kafka failed"
  fi
}

# ---------------------------------------------------------------- start / stop

# Logs are kept across restarts (useful when a test stops and restarts a server);
# rotate once they grow past 50 MB.
rotate_log() {
  local f="$1"
  if [[ -f $f ]] && (($(stat -c %s "$f") > 50 * 1024 * 1024)); then
    mv -f "$f" "$f.1"
  fi
}

log_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Launches "$@" detached from this shell and records its PID in pid file $1.
# setsid: own session, so it survives the caller's terminal, process group and
# signals. The inner bash writes its own PID and then execs the server, so the
# recorded PID is the server's whatever setsid does (it forks when the caller is a
# process group leader). 9>&- : do not inherit the lock held on fd 9.
launch() {
  local pidf="$1" out="$2"
  shift 2
  rm -f "$pidf"
  # shellcheck disable=SC2016 # $$ and $1 are for the inner shell
  nohup setsid bash -c 'echo $$ >"$1.tmp" && mv -f "$1.tmp" "$1" && shift && exec "$@"' \
    infra-launch "$pidf" "$@" </dev/null >>"$out" 2>&1 9>&- &
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s $pidf ]] && return 0
    sleep 0.05
  done
  die "could not launch $*"
}

declare -A START_AT LOG_OFFSET

launch_server() {
  local name="$1" port
  port="$(port_of "$name")"
  if port_open "$port"; then
    die "$name: port $HOST:$port is already in use by another process (set MFA_INFRA_${name^^}_PORT)"
  fi
  mkdir -p "$LOG_DIR" "$DATA_DIR/$name"
  rotate_log "$(log_file "$name")"
  LOG_OFFSET[$name]="$(log_size "$(log_file "$name")")"
  [[ $name == kafka ]] && LOG_OFFSET[kafka.out]="$(log_size "$(kafka_out)")"
  START_AT[$name]="$(now)"

  case "$name" in
    mongo)
      # Which build runs (see the "already running" check in cmd_start).
      cp -f "$CACHE_DIR/bin/ferretdb.sha256" "$INFRA_DIR/mongo.build" 2>/dev/null || true
      launch "$(pid_file mongo)" "$(log_file mongo)" \
        "$FERRET_BIN" -listen "$HOST:$MONGO_PORT" -data "$DATA_DIR/mongo"
      ;;
    kafka)
      if port_open "$KAFKA_CONTROLLER_PORT"; then
        die "kafka: controller port $HOST:$KAFKA_CONTROLLER_PORT is already in use (set MFA_INFRA_KAFKA_CONTROLLER_PORT)"
      fi
      local JVM
      kafka_jvm
      launch "$(pid_file kafka)" "$(kafka_out)" "${JVM[@]}" kafka.Kafka "$CONF_DIR/server.properties"
      ;;
  esac
}

# Prints to stderr the last 40 lines that file $1 got since byte offset $2.
dump_tail() {
  local f="$1" off="${2:-0}" out
  out="$(tail -c "+$((off + 1))" "$f" 2>/dev/null | tail -n 40)"
  echo "---- $f (last 40 lines of this start) ----" >&2
  if [[ -n $out ]]; then echo "$out" >&2; else echo "(nothing logged)" >&2; fi
}

# Prints what a server logged during this start.
dump_logs() {
  local name="$1"
  dump_tail "$(log_file "$name")" "${LOG_OFFSET[$name]:-0}"
  [[ $name == kafka ]] && dump_tail "$(kafka_out)" "${LOG_OFFSET[kafka.out]:-0}"
  return 0
}

# Waits until server $1 logged its ready line (after this start) and its port answers.
wait_ready() {
  local name="$1" port timeout marker pid deadline log off
  port="$(port_of "$name")"
  log="$(log_file "$name")"
  off="${LOG_OFFSET[$name]:-0}"
  case "$name" in
    mongo) timeout="$MONGO_TIMEOUT" marker="ferretdb ready on" ;;
    kafka) timeout="$KAFKA_TIMEOUT" marker="Kafka Server started" ;;
  esac
  deadline=$(($(date +%s) + timeout))
  while :; do
    if ! pid="$(running_pid "$name")"; then
      echo "infra: $name exited during startup" >&2
      dump_logs "$name"
      rm -f "$(pid_file "$name")"
      exit 1
    fi
    if tail -c "+$((off + 1))" "$log" 2>/dev/null | grep -q "$marker" && port_open "$port"; then
      echo "$name ready on $HOST:$port ($(elapsed "${START_AT[$name]}"))"
      return 0
    fi
    if (($(date +%s) >= deadline)); then
      echo "infra: $name not ready on $HOST:$port after ${timeout}s" >&2
      dump_logs "$name"
      exit 1 # cleanup_failed_start stops it
    fi
    sleep 0.2
  done
}

stop_server() {
  local name="$1" pid i
  if pid="$(running_pid "$name")"; then
    kill -TERM "$pid" 2>/dev/null || true
    # Kafka's controlled shutdown takes a few seconds; FerretDB stops at once.
    for ((i = 0; i < 150; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      note "$name (pid $pid) did not stop within 15s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        alive "$pid" || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$(pid_file "$name")"
  [[ $name != mongo ]] || rm -f "$INFRA_DIR/mongo.build"
}

wipe_data() {
  local name="$1"
  [[ -n $DATA_DIR && $DATA_DIR == "$INFRA_DIR"/data ]] || die "refusing to wipe unexpected data dir '$DATA_DIR'"
  rm -rf "${DATA_DIR:?}/$name"
}

# Rewrites the env file with the servers that run now; removes it when none does.
write_env() {
  local lines=()
  running_pid mongo >/dev/null && lines+=("MONGO_URL=mongodb://$HOST:$MONGO_PORT/")
  running_pid kafka >/dev/null && lines+=("KAFKA_BROKERS=$HOST:$KAFKA_PORT")
  if ((${#lines[@]})); then
    printf '%s\n' "${lines[@]}" >"$ENV_FILE.tmp"
    mv -f "$ENV_FILE.tmp" "$ENV_FILE"
  else
    rm -f "$ENV_FILE"
  fi
}

# Serialises concurrent invocations (e.g. parallel test runners) on fd 9.
lock() {
  exec 9>"$INFRA_DIR/.lock"
  flock -w 300 9 || die "timed out waiting for another scripts/infra.sh run (lock $INFRA_DIR/.lock)"
}

# ---------------------------------------------------------------- commands

# Sets NAMES from a command's server argument.
parse_names() {
  case "${1:-all}" in
    all) NAMES=("${ALL_NAMES[@]}") ;;
    mongo | kafka) NAMES=("$1") ;;
    *) die "unknown server '$1' (expected mongo, kafka or all)" ;;
  esac
}

# Servers launched by this run: if the run fails, they are stopped again so that a
# failed start leaves nothing half-running behind.
LAUNCHED=()
cleanup_failed_start() {
  local rc=$? name
  ((rc == 0)) && return 0
  for name in "${LAUNCHED[@]}"; do
    if running_pid "$name" >/dev/null; then
      note "stopping $name again (started by this failed run)"
      stop_server "$name"
    fi
  done
  write_env
  exit "$rc"
}

cmd_start() {
  local target=all arg name pid
  for arg in "$@"; do
    case "$arg" in
      --fresh) FRESH=1 ;;
      *) target="$arg" ;;
    esac
  done
  parse_names "$target"
  lock
  trap cleanup_failed_start EXIT

  if [[ $FRESH == 1 ]]; then
    for name in "${NAMES[@]}"; do
      stop_server "$name"
      wipe_data "$name"
    done
  fi

  # 1. Build / fetch what is missing (cached); generate Kafka's config and format
  #    its storage on first use (harmless while it runs: config only matters at start).
  for name in "${NAMES[@]}"; do
    case "$name" in
      mongo) ensure_ferretdb ;;
      kafka)
        ensure_kafka_libs
        mkdir -p "$LOG_DIR"
        rotate_log "$(kafka_out)"
        write_kafka_config
        format_kafka_storage
        ;;
    esac
  done

  # 2. Launch whatever is not running, so the servers start in parallel.
  local to_wait=()
  for name in "${NAMES[@]}"; do
    if pid="$(running_pid "$name")"; then
      if port_open "$(port_of "$name")"; then
        echo "$name already running on $HOST:$(port_of "$name") (pid $pid)"
        # Not restarted here (another run may be using it), but said: a changed launcher or
        # infra/ferretdb/patch-upstream.sh was rebuilt above and is not what this process runs.
        if [[ $name == mongo && -f $INFRA_DIR/mongo.build ]] && ! cmp -s "$CACHE_DIR/bin/ferretdb.sha256" "$INFRA_DIR/mongo.build"; then
          note "the running FerretDB is not the current build of infra/ferretdb (rebuilt since it started);" \
            "to use the new one: scripts/infra.sh stop mongo"
        fi
        continue
      fi
      # Alive but not answering yet (still starting): wait for it below.
      START_AT[$name]="$(now)"
      LOG_OFFSET[$name]=0
    else
      rm -f "$(pid_file "$name")"
      LAUNCHED+=("$name")
      launch_server "$name"
    fi
    to_wait+=("$name")
  done

  # 3. Wait for readiness.
  for name in "${to_wait[@]}"; do
    wait_ready "$name"
  done
  write_env
}

cmd_stop() {
  local name
  parse_names "${1:-all}"
  lock
  for name in "${NAMES[@]}"; do
    stop_server "$name"
  done
  write_env
}

cmd_status() {
  local name pid rc=0 port
  for name in "${ALL_NAMES[@]}"; do
    port="$(port_of "$name")"
    if pid="$(running_pid "$name")"; then
      if port_open "$port"; then
        echo "$name: running on $HOST:$port (pid $pid)"
      else
        echo "$name: process $pid alive but $HOST:$port does not answer"
        rc=3
      fi
    else
      echo "$name: stopped"
      rc=3
    fi
  done
  echo "state: $INFRA_DIR"
  return "$rc"
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "nothing running (no $ENV_FILE); run: scripts/infra.sh start"
  cat "$ENV_FILE"
}

# Kafka's kafka-configs tool on the cached jars (the caller passes --bootstrap-server).
cmd_kafka_configs() {
  ensure_kafka_libs
  "$(java_bin)" -Xmx256m -Djava.awt.headless=true -Dlog4j.configuration="file:$CONF_DIR/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.admin.ConfigCommand "$@"
}

cmd_dump() {
  local pid
  pid="$(running_pid mongo)" || die "FerretDB is not running"
  kill -USR1 "$pid"
  echo "goroutine dump of pid $pid written to $(log_file mongo)"
}

case "${1:-}" in
  start) shift && cmd_start "$@" ;;
  dump) cmd_dump ;;
  kafka-configs) shift && cmd_kafka_configs "$@" ;;
  stop) shift && cmd_stop "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
