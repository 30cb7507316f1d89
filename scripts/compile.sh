#!/usr/bin/env bash
# Compiles Go packages into the build cache (or a binary, with -o) and shows how far it has got,
# so that a first build, which compiles some 500 packages, never leaves the terminal silent:
#
#   bash scripts/compile.sh [go build flags] PACKAGES...
#   bash scripts/compile.sh -race ./...
#   bash scripts/compile.sh -o bin/cohostdemo ./cmd/cohostdemo
#
# It counts the packages `go build -v` names as it compiles them against the packages the build
# needs (`go list -deps`): a package already in the build cache is not compiled again, so a warm
# build finishes early and quietly. On a terminal the count updates in place (and every 10 s while
# one big package or the final link takes its time); otherwise a line is printed every tenth of the
# way and at least every 30 s. Compiler errors are printed as they come, and the exit status is go
# build's.
set -euo pipefail

flags=() pkgs=()
while [[ $# -gt 0 ]]; do
	case $1 in
	-o) flags+=("$1" "$2"); shift 2 ;;
	-*) flags+=("$1"); shift ;;
	*) pkgs+=("$1"); shift ;;
	esac
done
# go list takes the build flags that change what is built (-race, -tags), not -o.
list_flags=()
for f in "${flags[@]+"${flags[@]}"}"; do
	case $f in -race | -tags=* | -mod=*) list_flags+=("$f") ;; esac
done
total=$(go list "${list_flags[@]+"${list_flags[@]}"}" -deps "${pkgs[@]}" | wc -l)
total=$((total > 0 ? total : 1))
tty=false
[[ -t 1 ]] && tty=true

start=$SECONDS
set +e
go build -v "${flags[@]+"${flags[@]}"}" "${pkgs[@]}" 2>&1 | {
	n=0 step=$(((total + 9) / 10)) next=$step printed=$SECONDS
	show() { printf '\r\033[K  compiled %d of at most %d packages (%ds)%s' "$n" "$total" $((SECONDS - start)) "$1"; }
	while :; do
		rc=0
		IFS= read -r -t 10 line || rc=$?
		if ((rc != 0)); then
			((rc > 128)) || break # end of go build's output
			# Ten seconds without a new package: a big one (SQLite's), or the linker.
			if $tty; then
				show ", still working: a big package or the final link"
			elif ((SECONDS - printed >= 30)); then
				printf '  compiled %d of at most %d packages (%ds), still working: a big package or the final link\n' "$n" "$total" $((SECONDS - start))
				printed=$SECONDS
			fi
			continue
		fi
		# A compiled package is an import path alone on its line; anything else is the
		# compiler's or the go command's own words (errors), shown as they are.
		if [[ ! $line =~ ^[A-Za-z0-9._~/-]+$ ]]; then
			$tty && printf '\n'
			printf '%s\n' "$line"
			continue
		fi
		n=$((n + 1))
		if $tty; then
			show ""
		elif ((n >= next || SECONDS - printed >= 30)); then
			# A line every tenth of the way, and at least every 30 s.
			printf '  compiled %d of at most %d packages (%ds)\n' "$n" "$total" $((SECONDS - start))
			((n >= next)) && next=$((next + step))
			printed=$SECONDS
		fi
	done
	$tty && ((n > 0 || SECONDS - start >= 10)) && printf '\n'
	exit 0
}
status=${PIPESTATUS[0]}
set -e
if ((status == 0)); then
	printf '  compiled in %ds\n' $((SECONDS - start))
fi
exit "$status"
