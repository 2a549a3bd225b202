# Sourced by the tests/cli/test-cli*.sh scripts: a temporary folder ($tmp, removed on exit),
# pass/fail counters, and the two checks they are written with.
#   expect NAME EXIT_CODE -- COMMAND...   runs COMMAND (stdout in $tmp/out, stderr in
#                                         $tmp/err) and checks its exit code
#   check NAME CONDITION...               checks that CONDITION succeeds
# End a script with: echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

expect() {
  local name=$1 want=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $got, expected $want"
    sed 's/^/  stdout: /' "$tmp/out" | head -5
    sed 's/^/  stderr: /' "$tmp/err" | head -5
  fi
}
check() {
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $name"; fi
}
