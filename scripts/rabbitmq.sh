#!/usr/bin/env bash
# A private RabbitMQ node for tests and local runs, as root, without systemd.
#
#   scripts/rabbitmq.sh start <dir> <port>   start (or find running) a node; returns once it accepts AMQP
#   scripts/rabbitmq.sh stop <dir>           clean stop; waits for the OS process to exit
#   scripts/rabbitmq.sh kill <dir>           kill -9 (a crash, for fault tests)
#   scripts/rabbitmq.sh ctl <dir> <args...>  rabbitmqctl against that node (e.g. close_all_connections x)
#
# RABBITMQ_MAX_MESSAGE_SIZE=<bytes> at `start` sets the node's max_message_size (the largest message
# it accepts; RabbitMQ's own default otherwise), e.g. to test what happens to a message it refuses.
#
# Everything the node owns (cookie, mnesia, logs, pid file, config) lives under <dir>, so several
# nodes run side by side. The node name and port chosen at the first start are kept in <dir>/node.env,
# so a later start reuses the same data (durable queues and persistent messages survive).
# Debian's /usr/sbin wrappers switch to the rabbitmq user and then cannot reach a node started as
# root (different Erlang cookie), so the real scripts in /usr/lib/rabbitmq/bin are used.
set -euo pipefail

BIN_DIR="${RABBITMQ_BIN_DIR:-/usr/lib/rabbitmq/bin}"

die() { echo "rabbitmq.sh: $*" >&2; exit 1; }
usage() { die "usage: $0 start <dir> <port> | stop <dir> | kill <dir> | ctl <dir> <args...>"; }

[ $# -ge 2 ] || usage
cmd="$1"
dir="$2"

[ -x "$BIN_DIR/rabbitmq-server" ] && [ -x "$BIN_DIR/rabbitmqctl" ] ||
  die "RabbitMQ is not installed ($BIN_DIR/rabbitmq-server missing); apt-get install -y --no-install-recommends rabbitmq-server"

node_env() {
  local port="$1" name="$2"
  export HOME="$dir/home"
  export RABBITMQ_NODENAME="$name@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$port"
  export RABBITMQ_DIST_PORT=$((port + 20000))
  # rabbitmqctl's own distribution port; the default range (35672-35682) is shared by every node.
  export RABBITMQ_CTL_DIST_PORT_MIN=$((port + 21000))
  export RABBITMQ_CTL_DIST_PORT_MAX=$((port + 21010))
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
  export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
}

load_env() {
  [ -f "$dir/node.env" ] || die "$dir has no node (no node.env); start it first"
  # shellcheck disable=SC1091
  . "$dir/node.env"
  node_env "$NODE_PORT" "$NODE_NAME"
}

pid_alive() {
  [ -f "$RABBITMQ_PID_FILE" ] || return 1
  local pid
  pid="$(cat "$RABBITMQ_PID_FILE" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

ctl() { "$BIN_DIR/rabbitmqctl" "$@"; }

start() {
  local port="${3:-}"
  [[ "$port" =~ ^[0-9]+$ ]] || usage
  [ "$port" -lt 44000 ] || die "port must be below 44000 (the node also uses port+20000 and port+21000..21010)"
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  dir="$(cd "$dir" && pwd)"
  if [ -f "$dir/node.env" ]; then
    # shellcheck disable=SC1091
    . "$dir/node.env"
    [ "$NODE_PORT" = "$port" ] || die "$dir already holds a node on port $NODE_PORT"
  else
    NODE_NAME="rabbit-$port"
    printf 'NODE_PORT=%s\nNODE_NAME=%s\n' "$port" "$NODE_NAME" >"$dir/node.env"
  fi
  node_env "$port" "$NODE_NAME"
  echo '[].' >"$RABBITMQ_ENABLED_PLUGINS_FILE"
  echo '[].' >"$RABBITMQ_ADVANCED_CONFIG_FILE"
  : >"$RABBITMQ_CONF_ENV_FILE"
  cat >"$RABBITMQ_CONFIG_FILE" <<EOF
log.console = false
log.file.level = warning
EOF
  if [ -n "${RABBITMQ_MAX_MESSAGE_SIZE:-}" ]; then
    [[ "$RABBITMQ_MAX_MESSAGE_SIZE" =~ ^[0-9]+$ ]] || die "RABBITMQ_MAX_MESSAGE_SIZE must be a number of bytes"
    echo "max_message_size = $RABBITMQ_MAX_MESSAGE_SIZE" >>"$RABBITMQ_CONFIG_FILE"
  fi
  if ! pid_alive; then
    rm -f "$RABBITMQ_PID_FILE"
    setsid "$BIN_DIR/rabbitmq-server" </dev/null >>"$dir/log/server.out" 2>&1 &
  fi
  # `wait` blocks until the pid file appears and the app has booted; it fails fast if the node dies.
  if ! ctl wait --timeout 60 "$RABBITMQ_PID_FILE" >/dev/null 2>&1; then
    tail -n 20 "$dir/log/server.out" >&2 || true
    die "node $RABBITMQ_NODENAME did not start (logs in $dir/log)"
  fi
}

stop() {
  [ -f "$dir/node.env" ] || return 0
  load_env
  pid_alive || return 0
  # `stop <pidfile>` returns once the OS process is gone.
  ctl stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 || true
  kill_node
}

kill_node() {
  [ -f "$dir/node.env" ] || return 0
  load_env
  pid_alive || return 0
  local pid
  pid="$(cat "$RABBITMQ_PID_FILE")"
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  die "node process $pid did not exit"
}

case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  kill) kill_node ;;
  ctl)
    load_env
    shift 2
    ctl -n "$RABBITMQ_NODENAME" "$@"
    ;;
  *) usage ;;
esac
