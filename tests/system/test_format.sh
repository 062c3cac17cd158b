#!/usr/bin/env bash
#  test_format: every C file of the repository is formatted as .clang-format
#  says (.clang-format-headers for .h files), so that a change shows only
#  what it changes. Lists the files that are not and how to fix them.
#
#  Run by tests/run.sh, or by hand: tests/system/test_format.sh

set -euo pipefail

ROOT=${KEJIN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
command -v clang-format >/dev/null || {
    echo "test_format: clang-format is not installed (make deps)" >&2
    exit 1
}
#  The tracked C files, and new ones not yet added
mapfile -t files < <(git ls-files --cached --others --exclude-standard \
                         '*.c' '*.h' | sort -u)
[ ${#files[@]} -gt 0 ] || { echo "test_format: no C files found" >&2; exit 1; }

bad=()
for f in "${files[@]}"; do
    [ -f "$f" ] || continue     #  deleted, not yet committed
    style=file
    [[ $f == *.h ]] && style=file:.clang-format-headers
    if ! clang-format --style="$style" --dry-run -Werror "$f" >/dev/null 2>&1
    then
        bad+=("$f")
    fi
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "test_format: ${#bad[@]} of ${#files[@]} C files are not formatted" \
         "as .clang-format (.clang-format-headers for .h) says:"
    printf '    %s\n' "${bad[@]}"
    echo "Fix with: make format (or clang-format -i FILE.c, and for a header"
    echo "clang-format --style=file:.clang-format-headers -i FILE.h), then review"
    echo "the change with git diff."
    exit 1
fi
echo "test_format: ${#files[@]} C files formatted"
