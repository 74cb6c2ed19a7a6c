#!/usr/bin/env bash
# make run: build bin/orderflow-dev, saying what it does while it compiles,
# then run `bin/orderflow-dev dev` in this process (exec: Ctrl-C reaches it).
#
# The first build compiles the embedded Temporal server and some 2,000 packages:
# 15-20 minutes on 2 cores, in silence with a plain `go build`. Here `go list`
# first counts the packages not yet in Go's build cache (downloading the modules
# if need be), then `go build -v` names each package as it compiles it, and
# this script turns those names into one progress line.
set -euo pipefail
shopt -s lastpipe # `... | follow` runs follow in this shell, so its counts stay
cd "$(dirname "$0")/.."

export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
GO="${GO:-go}"
PKG=./cmd/orderflow
OUT=bin/orderflow-dev
MAINPKG="$(sed -n 's/^module //p' go.mod)/cmd/orderflow"

# A terminal gets one line rewritten every 2 s; a log a new line every 20 s.
if [ -t 1 ]; then tty=1 tick=2; else tty=0 tick=20; fi

start=$SECONDS
elapsed() { local s=$((SECONDS - start)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# show TEXT: the progress line, rewritten in place on a terminal.
shown=0
show() {
  if [ $tty = 1 ]; then printf '\r\033[K  %s' "$1"; else printf '  %s\n' "$1"; fi
  shown=1
}
# say LINE: any other line, below the progress line.
say() {
  if [ $tty = 1 ] && [ $shown = 1 ]; then printf '\n'; fi
  printf '%s\n' "$1"
  shown=0
}

packages() { if [ "$1" = 1 ]; then echo "1 package"; else echo "$1 packages"; fi; }

# progress PHASE [done]: the progress line for the counts so far.
downloaded=0 compiled=0 current="" total=""
progress() {
  local phase=$1 done=${2:-}
  local dl="" pct=""
  [ $downloaded = 0 ] || dl=", downloaded $downloaded modules"
  if [ "$phase" = list ]; then
    [ -z "$done" ] || [ $downloaded != 0 ] || return 0
    show "listing the packages to compile$dl ($(elapsed))"
  elif [ $compiled = 0 ] && [ -n "$done" ]; then
    return 0 # nothing compiled: the binary was up to date, or it only relinked
  elif [ $compiled = 0 ]; then
    show "linking $OUT$dl ($(elapsed))"
  elif [ -n "$total" ] && [ "$total" -gt 0 ]; then
    pct=$((compiled * 100 / total)); [ $pct -le 100 ] || pct=100
    if [ -n "$done" ]; then
      show "compiled $(packages $compiled)$dl ($(elapsed))"
    elif [ "$compiled" -ge "$total" ]; then
      show "compiled $compiled of $total packages, linking $OUT ($(elapsed))"
    else
      show "compiled $compiled of $total packages ($pct%, $(elapsed)): ${current:0:60}"
    fi
  else
    show "compiled $(packages $compiled)$dl ($(elapsed)): ${current:0:60}"
  fi
}

# follow PHASE reads a go command's output: counts `go: downloading` lines and
# the packages `go build -v` names, shows other lines (errors) when building,
# and updates the progress line every $tick seconds.
follow() {
  local phase=$1 chunk pending="" line rc eof=0 last=$SECONDS
  while [ $eof = 0 ]; do
    rc=0
    IFS= read -r -t "$tick" chunk || rc=$?
    if [ $rc -gt 128 ]; then # timed out: keep a partial line for later
      pending+=$chunk
      line=""
    else
      line=$pending$chunk
      pending=""
      [ $rc = 0 ] || eof=1
    fi
    case $line in
      "") ;;
      "go: downloading "*) downloaded=$((downloaded + 1)) ;;
      *" "* | "#"* | "go: "*) [ "$phase" = list ] || say "$line" ;; # an error or a message
      "$MAINPKG") current=$line ;;
      *) compiled=$((compiled + 1)) current=$line ;;
    esac
    if [ $((SECONDS - last)) -ge $tick ]; then
      last=$SECONDS
      progress "$phase"
    fi
  done
  progress "$phase" done
  if [ $tty = 1 ] && [ $shown = 1 ]; then printf '\n'; fi
  shown=0
}

echo "run: building $OUT (go build $PKG). The first build compiles the embedded Temporal server:" \
  "about 15-20 minutes on 2 cores; once cached, a few seconds."
mkdir -p bin
stale=$(mktemp)
trap 'rm -f "$stale"' EXIT

set +e
# The packages not in the build cache yet: what the build will compile.
"$GO" list -deps -f '{{if and .Stale (ne .Name "main")}}{{.ImportPath}}{{end}}' "$PKG" 2>&1 >"$stale" | follow list
[ "${PIPESTATUS[0]}" != 0 ] || total=$(grep -c . "$stale")
# (When listing fails, the build fails too and shows why.)
"$GO" build -v -o "$OUT" "$PKG" 2>&1 | follow build
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then
  echo "run: the build failed (see above); nothing was started." >&2
  exit "$rc"
fi
if [ $compiled -gt 0 ]; then
  echo "run: built $OUT in $(elapsed)."
fi

rm -f "$stale"
trap - EXIT
echo "run: starting $OUT dev (Ctrl-C stops it); once everything answers it prints where to find it."
exec "$OUT" dev "$@"
