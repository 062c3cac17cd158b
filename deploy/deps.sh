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
    systemd                                 # systemd-analyze verify of the units
    python3 python3-zmq python3-protobuf protobuf-compiler  # Python example
    procps iproute2 util-linux              # ps, ss, runuser for tests
    valgrind                                # make memcheck
    nodejs                                  # Node example (docs/examples)
    gettext locales                         # msgfmt; zh_CN.UTF-8 messages
    clang-format                            # make format, the format check
)
#  npm comes with some builds of nodejs (NodeSource's); Debian's own is
#  a package of its own. The example's npm packages (zeromq 6, protobufjs 7,
#  docs/examples/package-lock.json) are installed by its test, into build/.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

#  Messages come in Chinese under LANG=zh_CN.UTF-8, which a bare Debian
#  machine does not have (only C.UTF-8): generate it, once.
LOCALE=zh_CN.UTF-8
has_locale () {
    locale -a 2>/dev/null | grep -qix 'zh_CN\.utf-\?8'
}
make_locale () {
    echo "kejin: generating the $LOCALE locale"
    if [ -f /etc/locale.gen ] && command -v locale-gen >/dev/null; then
        $SUDO sed -i 's/^# *\(zh_CN\.UTF-8 UTF-8\)/\1/' /etc/locale.gen
        grep -q '^zh_CN\.UTF-8 UTF-8' /etc/locale.gen \
            || echo 'zh_CN.UTF-8 UTF-8' | $SUDO tee -a /etc/locale.gen >/dev/null
        $SUDO locale-gen >/dev/null
    else
        $SUDO localedef -i zh_CN -f UTF-8 zh_CN.UTF-8
    fi
}

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ] && has_locale; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo"
else
    if [ ${#missing[@]} -gt 0 ]; then
        echo "kejin: missing Debian packages: ${missing[*]}"
        echo "kejin: install them with:"
        echo "    sudo apt-get install -y ${missing[*]}"
    fi
    has_locale || {
        echo "kejin: the $LOCALE locale is missing; generate it with:"
        echo "    sudo localedef -i zh_CN -f UTF-8 $LOCALE"
    }
    exit 1
fi
if [ ${#missing[@]} -eq 0 ]; then
    make_locale
    exit 0
fi

echo "kejin: missing Debian packages: ${missing[*]}"

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
has_locale || make_locale
echo "kejin: dependencies installed"
