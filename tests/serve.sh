#!/bin/sh
# serve.sh BIN - newsmine serve end to end over loopback: good records (JSON
# and text/plain), invalid JSON, invalid UTF-8, a body over --max-body, a
# slow client cut off by --timeout while others are served, unknown paths
# and methods, a batch with a bad line, and SIGTERM letting a request in
# flight finish.  Prints "serve: N passed, M failed".
set -u
bin=$(realpath "$1")
here=$(pwd)
export NEWSMINE_MODELS="$here/models"
t=$(mktemp -d /tmp/nm-serve.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT INT TERM
NAME=serve
. "$here/tests/lib.sh"

"$bin" serve --listen 127.0.0.1:0 --threads 2 --max-body 4M --timeout 2 2>"$t/err" &
pid=$!
i=0
until grep -q "listening on" "$t/err" 2>/dev/null || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$t/err")
[ -n "$port" ] || { bad "the server did not start: $(cat "$t/err")"; report; exit 1; }
u=http://127.0.0.1:$port
req() { curl -s -o "$t/body" -w '%{http_code}' "$@"; }

check "GET /healthz" "$(req "$u/healthz")" 200
has "/healthz body" "$(cat "$t/body")" '"status":"ok"'
check "GET /v1/version" "$(req "$u/v1/version")" 200
has "/v1/version body" "$(cat "$t/body")" '"newsmine":'
has "/v1/version: the taxonomy's digest" "$(cat "$t/body")" '"taxonomy":"sha256:'
check "POST /v1/extract JSON" "$(req -H 'Content-Type: application/json' \
    -d '{"id":"a","dct":"2025-06-03","text":"Microsoft kept a right of first refusal until 2030, it said on Tuesday."}' \
    "$u/v1/extract")" 200
has "extract: the clause" "$(cat "$t/body")" '"type":"CLAUSE:ROFR","text":"right of first refusal","status":"RETAINED"'
has "extract: the date against dct" "$(cat "$t/body")" '"text":"Tuesday","value":"2025-06-03"'
check "POST /v1/extract text/plain" "$(req -H 'Content-Type: text/plain' --data-binary 'OpenAI said so.' \
    "$u/v1/extract?id=b&dct=2025-06-03")" 200
has "text/plain: id and spans" "$(cat "$t/body")" '{"id":"b","dct":"2025-06-03","spans":[{"start":0,"end":6,"type":"ORG"'
check "invalid JSON" "$(req -d '{"text":' "$u/v1/extract")" 400
has "invalid JSON: message" "$(cat "$t/body")" '{"error":"invalid JSON'
check "no text" "$(req -d '{"id":"x"}' "$u/v1/extract")" 400
has "no text: message" "$(cat "$t/body")" 'no \"text\"'
printf '{"text":"caf\377"}' > "$t/bad.json"
check "invalid UTF-8 in JSON" "$(req --data-binary @"$t/bad.json" "$u/v1/extract")" 400
printf 'caf\377' > "$t/bad.txt"
check "invalid UTF-8 in text/plain" "$(req -H 'Content-Type: text/plain' --data-binary @"$t/bad.txt" "$u/v1/extract")" 400
has "invalid UTF-8: message" "$(cat "$t/body")" "UTF-8"
head -c 5000000 /dev/zero | tr '\0' 'a' > "$t/big.txt"
check "body over --max-body" "$(req -H 'Content-Type: text/plain' --data-binary @"$t/big.txt" "$u/v1/extract")" 413
check "unknown path" "$(req "$u/nope")" 404
check "wrong method" "$(req "$u/v1/extract")" 405
printf '{"id":"1","text":"Paris."}\nnot json\n{"id":"3","text":"Oracle."}\n' > "$t/batch.jsonl"
check "POST /v1/batch" "$(req --data-binary @"$t/batch.jsonl" "$u/v1/batch")" 200
check "batch: a line each" "$(wc -l < "$t/body")" 3
check "batch: the bad line" "$(sed -n 2p "$t/body" | jq -r '.line')" 2
check "batch: the lines after it" "$(sed -n 3p "$t/body" | jq -r '.id')" 3
# a slow client: headers never finished; cut off after --timeout, others served meanwhile
python3 - "$port" > "$t/slow" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
s.settimeout(10)
t0 = time.time()
try:
    data = s.recv(100)
except Exception:
    data = b"?"
print("closed" if data == b"" else "answered", round(time.time() - t0))
PY
slow=$!
check "served while a client stalls" "$(req "$u/healthz")" 200
wait $slow
has "the stalled client is cut off" "$(cat "$t/slow")" "closed"
# SIGTERM while a batch is in flight: it is answered, then the server exits 0
for i in $(seq 1 40000); do echo '{"text":"Microsoft and OpenAI agreed a deal in June that runs until 2030."}'; done > "$t/many.jsonl"
curl -s -o "$t/inflight" --data-binary @"$t/many.jsonl" "$u/v1/batch" &
cpid=$!
sleep 0.1
kill -TERM $pid
status=0
wait $pid || status=$?
pid=""
wait $cpid
check "SIGTERM: exit status" "$status" 0
check "SIGTERM: the request in flight answered" "$(wc -l < "$t/inflight")" 40000
has "SIGTERM: said so" "$(cat "$t/err")" "finishing the requests in flight"
# a port already taken: exit 2 with a message
"$bin" serve --listen "127.0.0.1:$port" 2>/dev/null &
p1=$!
sleep 1
status=0
"$bin" serve --listen "127.0.0.1:$port" 2>"$t/err2" || status=$?
kill $p1 2>/dev/null
wait $p1 2>/dev/null
check "port taken: exit status" "$status" 2
check "bad --listen" "$("$bin" serve --listen nowhere 2>/dev/null; echo $?)" 2
report
