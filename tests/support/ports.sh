#  ports.sh: free loopback ports for the shell tests that start whole
#  nodes, sourced after they set ROOT:
#      . "$ROOT/tests/support/ports.sh"
#      free_port_base || fail "no three free ports in a row"

#  Nothing listens on TCP port $1
port_free () {
    [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

#  No TCP socket at all, in any state, has local port $1
port_unused () {
    [ -z "$(ss -Hatn "sport = :$1" 2>/dev/null)" ]
}

#  Three unused ports in a row from a random start, into BASE (a node's
#  broker, sub and pub); 1 when 100 tries found none.  The ports come from
#  below the kernel's ephemeral range: a port in that range can be taken at
#  any moment by some process's outgoing connection, and the node's bind
#  then fails with "Address already in use" (a CI run lost a test to that).
free_port_base () {
    local try b low=32768 high
    read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
    [ "$low" -gt 12000 ] || low=32768
    BASE=
    for ((try = 0; try < 100; try++)); do
        b=$((10000 + RANDOM % (low - 10003)))
        if port_unused "$b" && port_unused $((b + 1)) &&
           port_unused $((b + 2)); then
            BASE=$b
            return 0
        fi
    done
    return 1
}
