#!/bin/sh
# Fails when a zh_CN string is untranslated or fuzzy: regenerates the template from
# po/POTFILES.in in a temporary folder, merges po/zh_CN.po with it and counts with
# msgfmt --statistics. Usage: test-translations.sh SOURCE_DIR
set -eu
src=${1:-${PL_SOURCE_DIR:-.}}
for tool in xgettext msgmerge msgfmt; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool missing: skipped"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --add-comments --files-from=po/POTFILES.in -o "$tmp/prunelens.pot" 2>"$tmp/xgettext.log"
msgmerge --quiet --no-fuzzy-matching po/zh_CN.po "$tmp/prunelens.pot" -o "$tmp/zh_CN.po"
msgfmt --check --statistics -o "$tmp/zh_CN.mo" "$tmp/zh_CN.po" 2>"$tmp/stats" || {
  cat "$tmp/stats"; exit 1; }
cat "$tmp/stats"
if grep -Eq 'untranslated|fuzzy' "$tmp/stats"; then
  echo "po/zh_CN.po is incomplete; the missing strings:"
  msgattrib --untranslated "$tmp/zh_CN.po" | grep -A1 '^#:' | head -40
  msgattrib --only-fuzzy "$tmp/zh_CN.po" | grep -A1 '^#:' | head -40
  exit 1
fi
