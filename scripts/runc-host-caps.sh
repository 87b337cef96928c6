#!/usr/bin/env bash
# runc, minus the capabilities this host cannot grant — an adaptation of THIS machine, not a
# step for kind users. Root here lacks CAP_SYS_RESOURCE in its bounding set (CapBnd
# 000001fffeffffff), so `docker run --privileged` — how kind starts every node — fails at once:
# "runc create failed: unable to apply caps: operation not permitted". scripts/docker-engine.sh
# registers this file as dockerd's default runtime on such hosts only: on `create` and `run` it
# removes from the bundle's config.json every capability outside the host's bounding set, and on
# `exec` (`docker exec --privileged`, which kind runs on every node) from the process file; then
# it runs Debian's runc unchanged. Everything else passes straight through.
set -euo pipefail
RUNC=${REAL_RUNC:-/usr/sbin/runc}

bundle="" cmd="" process=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
  create | run | exec) [[ -z $cmd ]] && cmd=${args[i]} ;;
  --process | -p) process=${args[i + 1]:-} ;;
  --process=*) process=${args[i]#--process=} ;;
  --bundle | -b) bundle=${args[i + 1]:-} ;;
  --bundle=*) bundle=${args[i]#--bundle=} ;;
  esac
done

if [[ -n $cmd ]]; then
  spec=${bundle:-.}/config.json
  # Capability names the bounding set lacks: bit n of CapBnd clear ⇒ capsh's name for cap n.
  bnd=$((16#$(awk '/^CapBnd/{print $2}' "${HOST_STATUS:-/proc/self/status}")))
  missing=()
  for n in $(seq 0 "$(cat /proc/sys/kernel/cap_last_cap)"); do
    if (((bnd >> n) & 1)); then continue; fi
    name=$(capsh --decode="$(printf 0x%x $((1 << n)))" 2>/dev/null | sed -n 's/.*=//p' | tr a-z A-Z)
    [[ -n $name && $name != *","* ]] && missing+=("\"$name\"")
  done
  drop="[$(IFS=,; echo "${missing[*]}")]"
  strip() { # file jq-path-to-capabilities
    jq --argjson drop "$drop" "if $2 then $2 |= with_entries(.value |= ((. // []) - \$drop)) else . end" \
      "$1" >"$1.tmp" && mv "$1.tmp" "$1"
  }
  if ((${#missing[@]})); then
    if [[ $cmd == exec ]]; then
      [[ -n $process && -f $process ]] && strip "$process" .capabilities
    elif [[ -f $spec ]]; then
      strip "$spec" .process.capabilities
    fi
  fi
fi
exec "$RUNC" "$@"
