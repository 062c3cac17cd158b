#  ports.sh: free loopback ports for the shell tests that start whole
#  nodes, sourced after they set ROOT:
#      . "$ROOT/tests/support/ports.sh"
#      free_port_base || fail "no three free ports in a row"

#  Nothing listens on TCP port $1
port_free () {
    [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

#  Three free ports in a row from a random start, into BASE (a node's
#  broker, sub and pub); 1 when 100 tries found none
free_port_base () {
    local try b
    BASE=
    for ((try = 0; try < 100; try++)); do
        b=$((20000 + RANDOM % 30000))
        if port_free "$b" && port_free $((b + 1)) && port_free $((b + 2)); then
            BASE=$b
            return 0
        fi
    done
    return 1
}
