#!/bin/sh
# Keeps the core of every httpd that crashes during a test run, and turns
# each core into a backtrace.  t/integration.sh uses it for the suite (and
# so the release matrix, which runs the suite once a release).
#
#   t/cores.sh start DIR PID   cores of the httpds started through
#                              t/httpd-cores.sh go to DIR, for as long as
#                              process PID (the run) lives
#   t/cores.sh stop PID        PID's run is over: kernel.core_pattern back
#                              to what it was, once no other run needs it
#   t/cores.sh report DIR HTTPD
#                              for each core in DIR: gdb in batch on HTTPD
#                              and the core; every thread's frames go to
#                              stdout, the thread that crashed first, and
#                              the same with each frame's locals (bt full)
#                              to CORE.bt beside it; exits 1 when there
#                              was a core
#
# Where a crashed httpd's core goes: httpd's fatal signal handler changes
# to its CoreDumpDirectory (t/httpd-cores.sh sets it to DIR) and raises
# the signal again; the kernel then writes the core where
# kernel.core_pattern says, if RLIMIT_CORE allows (the wrapper raises it;
# runuser's pam_limits sets it to 0).  A pattern that is a relative file
# name puts the core into DIR.  One that pipes to a program (systemd-coredump,
# apport) or names an absolute path puts it elsewhere, and "core" without
# %p (Debian's default, with kernel.core_uses_pid 0) keeps only the last
# core of a run.  So, as root, `start` sets kernel.core_pattern to
# core.%e.%p.%t for the run unless it already gives a relative name with
# the pid, and `stop` puts the old one back once the last run that needed
# it has ended: the runs in progress are counted in
# /dev/shm/mod_expect-cores, under a lock, so that concurrent runs (and a
# Debian root of t/distro/run.sh, which shares /dev and the kernel) never
# restore each other's value.  Without root, a pattern that does not put
# cores into DIR is reported, and crashes are still found in the error
# log, without a backtrace.
set -eu

pattern=core.%e.%p.%t
kpattern=/proc/sys/kernel/core_pattern
state=${EXPECT_CORE_STATE:-/dev/shm}/mod_expect-cores

say() { echo "cores: $*" >&2; }

# Does this pattern put a core, named with its pid, into the crashed
# process's working folder?
usable() {
    case $1 in
        '|'*|/*) return 1 ;;
        *%p*) return 0 ;;
    esac
    [ "$(cat /proc/sys/kernel/core_uses_pid 2>/dev/null)" = 1 ]
}

locked() {
    mkdir -p "$state/runs"
    exec 9>"$state/lock"
    flock 9
}

# Runs whose process has gone count no more (a run that was killed).
prune() {
    for f in "$state"/runs/*; do
        [ -e "$f" ] || continue
        kill -0 "${f##*/}" 2>/dev/null || rm -f "$f"
    done
}

start() {
    dir=$1 pid=$2
    mkdir -p "$dir"
    if [ "$(id -u)" != 0 ] || [ ! -w "$kpattern" ]; then
        current=$(cat "$kpattern" 2>/dev/null || echo '?')
        usable "$current" ||
            say "kernel.core_pattern is '$current': cores do not go to $dir" \
                "(root would set it for the run); crashes are found in the" \
                "error log, without a backtrace"
        return 0
    fi
    (
        locked
        prune
        current=$(cat "$kpattern")
        if [ -f "$state/saved" ]; then
            # Another run set it: this one needs it kept too.
            : >"$state/runs/$pid"
        elif ! usable "$current"; then
            printf '%s\n' "$current" >"$state/saved"
            printf '%s\n' "$pattern" >"$kpattern"
            : >"$state/runs/$pid"
            say "kernel.core_pattern was '$current': '$pattern' for this run"
        fi
    )
}

stop() {
    pid=$1
    [ -d "$state/runs" ] || return 0
    (
        locked
        rm -f "$state/runs/$pid"
        prune
        if [ -f "$state/saved" ] && [ -z "$(ls "$state/runs")" ]; then
            cat "$state/saved" >"$kpattern"
            rm -f "$state/saved"
        fi
    )
}

# gdb in batch on HTTPD and one core, quiet and without asking a
# debuginfod server (none is reachable; libc6-dbg gives libc's symbols).
run_gdb() {
    gdb -batch -nx -q -iex 'set debuginfod enabled off' \
        -ex 'set pagination off' -ex 'set width 0' \
        -ex 'set print thread-events off' "$@" "$httpd" "$core" 2>&1
}

report() {
    dir=$1 httpd=$2
    cores=0
    for core in "$dir"/core*; do
        [ -f "$core" ] || continue
        case $core in *.bt) continue ;; esac
        cores=$((cores + 1))
        echo "core: ${core##*/}"
        if ! command -v gdb >/dev/null 2>&1; then
            echo "(no gdb here: no backtrace)"
            continue
        fi
        # The thread that took the signal is the one gdb makes current
        # (the kernel writes it first; a fault in a thread re-faults there
        # once httpd's handler has set the default action back).
        run_gdb -ex 'echo the thread that crashed:\n' -ex 'bt full' \
            -ex 'echo every thread:\n' -ex 'thread apply all bt full' \
            >"$core.bt"
        echo "every thread's backtrace with its locals: ${core##*/}.bt"
        # Here, every thread's frames, the one that crashed first.
        run_gdb -ex 'echo the thread that crashed:\n' -ex 'bt' \
            -ex 'echo every other thread:\n' -ex 'thread apply all bt' | awk '
            /^Core was generated by|^Program terminated with/ { print; next }
            /^\[Current thread is [0-9]+ / { current = $4 }
            /^the thread that crashed:/ { part = 1; print; next }
            /^every other thread:/ { part = 2; print; next }
            part == 1 && /^#[0-9]/ { print; next }
            part == 2 && /^Thread [0-9]+ / { skip = ($2 == current); }
            part == 2 && !skip && (/^Thread [0-9]+ / || /^#[0-9]/) { print }'
    done
    [ "$cores" = 0 ]
}

case ${1:-} in
    start) start "${2:?DIR}" "${3:?PID}" ;;
    stop) stop "${2:?PID}" ;;
    report) report "${2:?DIR}" "${3:?HTTPD}" ;;
    *) echo "usage: t/cores.sh start DIR PID | stop PID | report DIR HTTPD" >&2
       exit 2 ;;
esac
