#!/bin/sh
# layering.sh - DESIGN.md's arrows: curses only in tui/ and panes/; panes/ and tui/
# never include engines/ or aws/ headers; engines/ and aws/ include nothing from collectors/;
# model/, the bottom, includes nothing above it.
cd "$(dirname "$0")/.."
fail=0
check() { # NAME PATTERN FILES...
	name=$1; pat=$2; shift 2
	hits=$(grep -nE "$pat" "$@" 2>/dev/null)
	if [ -n "$hits" ]; then echo "FAIL layering: $name"; echo "$hits"; fail=1; else echo "PASS layering: $name"; fi
}
check "no curses outside tui/ and panes/" '#include *[<"](n?curses|ncursesw/)' collectors/*.[ch] engines/*.[ch] keymaps/*.[ch] $(ls aws/*.[ch] 2>/dev/null)
check "panes/ and tui/ include no engines/ or aws/ header" '#include *".*(engines|aws)/' panes/*.[ch] tui/*.[ch]
check "engines/ and aws/ include nothing from collectors/" '#include *".*collectors/|#include *"(store|collector|rates|derive|cloud|actions)\.h"' engines/*.[ch] $(ls aws/*.[ch] 2>/dev/null)
check "model/ (the bottom) includes nothing of dbfleet's above it" '#include *"\.\./' model/*.[ch]
check "panes/ do not reach up into tui/" '#include *".*tui/' panes/*.[ch]
check "no libpq outside engines/" '#include *<libpq' collectors/*.[ch] panes/*.[ch] tui/*.[ch]
exit $fail
