#!/bin/sh
# call-and-play.sh: calls URI, plays FILE into the call, hangs up: sipsimpled from a
# shell script with busctl only. Exit status 0 when the call was answered and the file
# played to its end, 1 otherwise (the reason on stderr).
#
#   usage: call-and-play.sh URI FILE [ANSWER_TIMEOUT_SECONDS]
#
# Run it against the daemon that `tools/run` started:
#
#   tools/run
#   export DBUS_SESSION_BUS_ADDRESS=...      # the line tools/run printed, if any
#   tools/examples/call-and-play.sh sip:bob@127.0.0.1:5070 greeting.wav
#
# busctl --user talks to $DBUS_SESSION_BUS_ADDRESS. SessionManager1.NewSession creates
# and starts the session in one call, so it survives busctl's connection closing.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 URI FILE [ANSWER_TIMEOUT_SECONDS]" >&2; exit 2; }
uri=$1
file=$(realpath -- "$2")          # the daemon has its own working directory
answer_timeout=${3:-30}
dest=org.sipsimple.Daemon1
iface=org.sipsimple.Session1

fail() { echo "call-and-play: $*" >&2; exit 1; }

# "s \"ESTABLISHED\"" -> ESTABLISHED
prop() { busctl --user get-property "$dest" "$session" "$iface" "$1" | sed 's/^[a-z]* "\(.*\)"$/\1/'; }

# o "/org/sipsimple/Session/3" -> /org/sipsimple/Session/3
session=$(busctl --user call "$dest" /org/sipsimple/SessionManager org.sipsimple.SessionManager1 \
          NewSession sosbb "$uri" / "" true false | cut -d'"' -f2) || fail "the call could not be placed"

# wait (polling twice a second) for the answer
tries=$((answer_timeout * 2))
while state=$(prop State) && [ "$state" != ESTABLISHED ]; do
    case $state in TERMINATING | TERMINATED) fail "the call ended ($state) before it was answered" ;; esac
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then
        busctl --user call "$dest" "$session" "$iface" Terminate >/dev/null 2>&1 || true
        fail "no answer within $answer_timeout s"
    fi
    sleep 0.5
done

busctl --user call "$dest" "$session" "$iface" PlayAudioFile sb "$file" false ||
    { busctl --user call "$dest" "$session" "$iface" Terminate >/dev/null 2>&1 || true; fail "cannot play $file"; }

# AudioPlayingFileName is the file until it stops
while [ "$(prop AudioPlayingFileName)" = "$file" ]; do
    [ "$(prop State)" = ESTABLISHED ] || fail "the call ended while the file played"
    sleep 0.2
done

busctl --user call "$dest" "$session" "$iface" Terminate || fail "hanging up failed"
echo "played $file to $uri"
