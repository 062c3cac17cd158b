#!/usr/bin/env bash
#  deps.sh: check for the Debian packages Kejin needs to build, test and run
#  a node; install the missing ones when run as root or with passwordless
#  sudo, otherwise print the exact command and stop.
#
#  Kept in one list so that the README, CI and `make up` agree.

set -euo pipefail

PACKAGES=(
    build-essential pkg-config
    libzmq3-dev libczmq-dev                 # ZeroMQ and CZMQ
    libprotobuf-c-dev protobuf-c-compiler   # protobuf-c and protoc-c
    libpq-dev postgresql                    # libpq; the embedded cluster
    libcmocka-dev                           # unit tests
    clang libclang-rt-14-dev                # libFuzzer: make fuzz, test_fuzz
    libjansson-dev                          # --json output
    libcsv-dev                              # CSV import and export
    uuid-dev                                # idempotency keys, ids
    python3 python3-zmq python3-protobuf protobuf-compiler  # Python example
    procps iproute2 util-linux              # ps, ss, runuser for tests
    valgrind                                # make memcheck
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "kejin: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo"
else
    echo "kejin: install them with:"
    echo "    sudo apt-get install -y ${missing[*]}"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
#  Refresh the package lists once if they are missing or older than a day.
lists=/var/lib/apt/lists
if [ -z "$(find "$lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    echo "kejin: apt-get update"
    $SUDO apt-get update -q >/dev/null
fi
echo "kejin: apt-get install -y ${missing[*]}"
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
#  Debian's postgresql package starts a system cluster; Kejin runs its own.
#  Leave the system one as the administrator configured it.
echo "kejin: dependencies installed"
