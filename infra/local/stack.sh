#!/usr/bin/env bash
# orgkit's local stack without Docker: DynamoDB Local (Maven Central), cognito-local
# (npm) and the local API (Go), installed under .local/ and run in the background.
#
#   stack.sh install   fetch DynamoDB Local and cognito-local (pinned), build orgkit-local
#   stack.sh up        start whatever is not running, wait until healthy, bootstrap, write .local/stack.env
#   stack.sh down      stop exactly what `up` started
#   stack.sh logs      follow the logs
#   stack.sh status    show what runs
#   stack.sh stop NAME stop one of them (api, cognito, dynamodb): make chaos runs its own API
#
# Ports: DYNAMODB_PORT (8000), COGNITO_PORT (9229), API_PORT (3000).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LOCAL="$ROOT/.local"
DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
COGNITO_PORT=${COGNITO_PORT:-9229}
API_PORT=${API_PORT:-3000}
TABLE_NAME=${TABLE_NAME:-orgkit-local}
CONFIRMATION_CODE=${CONFIRMATION_CODE:-123456}
AWS_REGION=${AWS_REGION:-us-east-1}
DYNAMODB_DIR="$LOCAL/dynamodb"
COGNITO_DIR="$LOCAL/cognito"
COGNITO_DATA="$LOCAL/cognito-data"
BIN="$LOCAL/bin/orgkit-local"
PIDS="$LOCAL/pids"
LOGS="$LOCAL/logs"
INVOKE_SECRET_FILE="$LOCAL/invoke.secret"

log() { printf '[stack] %s\n' "$*" >&2; }

install() {
  mkdir -p "$LOCAL"
  if [ ! -f "$DYNAMODB_DIR/.installed" ] || ! cmp -s "$ROOT/infra/local/dynamodb-local.pom.xml" "$DYNAMODB_DIR/.installed"; then
    log "fetching DynamoDB Local from Maven Central"
    rm -rf "$DYNAMODB_DIR"
    mvn -q -B -f "$ROOT/infra/local/dynamodb-local.pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$DYNAMODB_DIR/lib" -DincludeScope=runtime
    cp "$ROOT/infra/local/dynamodb-local.pom.xml" "$DYNAMODB_DIR/.installed"
  fi
  # The lockfile and the patches (patch-package, in order) make the install.
  local stamp; stamp=$(cd "$ROOT/infra/local/cognito-local" && cat package-lock.json patches/*.patch | sha256sum)
  if [ ! -f "$COGNITO_DIR/.installed" ] || [ "$(cat "$COGNITO_DIR/.installed")" != "$stamp" ]; then
    log "installing cognito-local from npm and applying infra/local/cognito-local/patches"
    stop_one cognito # it runs from the directory replaced here; `up` starts the new one
    rm -rf "$COGNITO_DIR"
    mkdir -p "$COGNITO_DIR"
    cp -r "$ROOT/infra/local/cognito-local/package.json" "$ROOT/infra/local/cognito-local/package-lock.json" \
      "$ROOT/infra/local/cognito-local/patches" "$COGNITO_DIR/"
    (cd "$COGNITO_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null &&
      node_modules/.bin/patch-package --error-on-fail >/dev/null)
    echo "$stamp" >"$COGNITO_DIR/.installed"
  fi
  log "building orgkit-local"
  (cd "$ROOT" && go build -o "$BIN" ./infra/local/cmd/orgkit-local)
}

running() { # name
  [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null
}

port_busy() { # port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for() { # name url seconds
  local deadline=$((SECONDS + $3))
  until curl -s -o /dev/null "$2"; do
    if ! running "$1"; then log "$1 exited; its log:"; tail -n 30 "$LOGS/$1.log" >&2; exit 1; fi
    if [ $SECONDS -ge $deadline ]; then log "$1 not healthy after $3 s"; tail -n 30 "$LOGS/$1.log" >&2; exit 1; fi
    sleep 0.2
  done
}

start() { # name port dir command...
  local name=$1 port=$2 dir=$3; shift 3
  if running "$name"; then return 0; fi
  if port_busy "$port"; then
    log "port $port is taken by another process: stop it or set another port for $name"; exit 1
  fi
  # Job control gives the process a group of its own, so `down` stops it with
  # whatever it spawned, and nothing else.
  # The whole subshell writes to the log, so nothing keeps the caller's output open.
  (cd "$dir" && exec >"$LOGS/$name.log" 2>&1 </dev/null && set -m && { nohup "$@" & } && echo $! >"$PIDS/$name.pid")
}

up() {
  install
  mkdir -p "$PIDS" "$LOGS" "$COGNITO_DATA/.cognito"
  start dynamodb "$DYNAMODB_PORT" "$DYNAMODB_DIR" java -Djava.library.path=lib -cp 'lib/*' \
    software.amazon.dynamodb.services.local.main.ServerRunner -inMemory -sharedDb -disableTelemetry -port "$DYNAMODB_PORT"
  wait_for dynamodb "http://127.0.0.1:$DYNAMODB_PORT/" 60

  # cognito-local signs its Invoke requests (SigV4) with a secret made for
  # this run, which the local API checks: nothing else can run a trigger.
  # cognito-local reads it at start, so a new one restarts both.
  if ! running cognito || [ ! -s "$INVOKE_SECRET_FILE" ]; then
    stop_one cognito
    stop_one api
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$INVOKE_SECRET_FILE")
  fi
  local secret; secret=$(cat "$INVOKE_SECRET_FILE")
  local config="$COGNITO_DATA/.cognito/config.json"
  (umask 077 && cat >"$config.new" <<JSON
{
  "LambdaClient": {"endpoint": "http://127.0.0.1:$API_PORT", "region": "$AWS_REGION",
                   "credentials": {"accessKeyId": "cognito-local", "secretAccessKey": "$secret"}},
  "TriggerFunctions": {"PostConfirmation": "postconfirmation", "PreTokenGeneration": "pretoken"},
  "TokenConfig": {"IssuerDomain": "http://127.0.0.1:$COGNITO_PORT"}
}
JSON
  )
  # cognito-local reads its configuration at start (and writes it back
  # reformatted): a running one restarts when its content changed (a trigger
  # added, say). Its users stay in its data.
  if running cognito && ! python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$config.new" "$config" 2>/dev/null; then
    stop_one cognito
  fi
  mv "$config.new" "$config"
  chmod 600 "$config"
  start cognito "$COGNITO_PORT" "$COGNITO_DATA" env HOST=127.0.0.1 PORT="$COGNITO_PORT" CODE="$CONFIRMATION_CODE" \
    node "$COGNITO_DIR/node_modules/cognito-local/lib/bin/start.js"
  wait_for cognito "http://127.0.0.1:$COGNITO_PORT/health" 60

  export TABLE_NAME AWS_REGION CONFIRMATION_CODE API_PORT
  export DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT" COGNITO_ENDPOINT="http://127.0.0.1:$COGNITO_PORT"
  export STACK_ENV="$LOCAL/stack.env"
  # The local mailbox: the mailer writes each message there as a JSON file.
  export MAIL_DIR="$LOCAL/mail" INVITE_URL=${INVITE_URL:-http://127.0.0.1:$API_PORT/console/accept}
  # The local DNS zone: the API's own DNS server answers TXT questions from
  # files there (domain proofs); tests publish records by writing them.
  export DNS_DIR="$LOCAL/dns"
  # The product's permission catalog (GET /permissions, custom roles): the
  # DinMo example unless PERMISSION_CATALOG names another file.
  export PERMISSION_CATALOG=${PERMISSION_CATALOG:-$ROOT/config/permissions.dinmo.json}
  # Webhook receivers of the local stack (and its tests) listen on
  # 127.0.0.1; in AWS webhooks may not point at private addresses.
  export WEBHOOK_ALLOW_PRIVATE=true
  "$BIN" bootstrap
  set -a; . "$STACK_ENV"; set +a
  if running api && [ "$(cat "$PIDS/api.pool" 2>/dev/null)" != "$USER_POOL_ID" ]; then
    stop_one api # a new pool (cognito data was reset): the API must verify its tokens
  fi
  # The limits against abuse the API runs with (unset: the defaults); a
  # running API with other limits is restarted.
  local limits="pending=${LIMIT_PENDING_INVITATIONS:-} hour=${LIMIT_INVITATIONS_PER_HOUR:-} day=${LIMIT_EMAILS_PER_ADDRESS_PER_DAY:-} rate=${API_RATE_LIMIT:-} burst=${API_RATE_BURST:-} cooldown=${JOIN_COOLDOWN:-} catalog=$PERMISSION_CATALOG"
  if running api && [ "$(cat "$PIDS/api.limits" 2>/dev/null)" != "$limits" ]; then
    stop_one api
  fi
  INVOKE_SECRET=$secret start api "$API_PORT" "$ROOT" "$BIN" serve
  echo "$USER_POOL_ID" >"$PIDS/api.pool"
  echo "$limits" >"$PIDS/api.limits"
  wait_for api "http://127.0.0.1:$API_PORT/healthz" 30
  log "up:"
  sed -e 's/^\(BACKEND_CLIENT_SECRET=\).*/\1(in .local\/stack.env)/' -e 's/^/  /' "$STACK_ENV" >&2
  log "console: $CONSOLE_URL"
}

stop_one() { # name
  local f="$PIDS/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

down() {
  for name in api cognito dynamodb; do stop_one "$name"; done
  rm -f "$INVOKE_SECRET_FILE"
  log "down"
}

status() {
  for name in dynamodb cognito api; do
    if running "$name"; then echo "$name: running (pid $(cat "$PIDS/$name.pid"))"; else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  stop) stop_one "${2:?usage: $0 stop api|cognito|dynamodb}"; log "${2} stopped" ;;
  status) status ;;
  logs) mkdir -p "$LOGS"; touch "$LOGS"/{dynamodb,cognito,api}.log; exec tail -n 20 -F "$LOGS"/{dynamodb,cognito,api}.log ;;
  *) echo "usage: $0 install|up|down|stop NAME|logs|status" >&2; exit 2 ;;
esac
