#!/usr/bin/perl
# The release matrix: the integration suite against every httpd release
# in HTTPD_SOURCES (default ../shared/httpd, relative to the checkout) and
# against Debian's packaged apache2, then one table of the results.
#
#   perl t/matrix/matrix.pl          (make -f Makefile.apxs matrix)
#
# For each release tarball, t/matrix/build-httpd.sh builds httpd (cached,
# keyed by the tarball's SHA-256), the module is built with that release's
# apxs in a scratch copy of the tree, and t/integration.sh runs the suite
# under mpm_event; the oldest release also runs under mpm_prefork.  The
# raw TAP of every test file is kept (PERL_TEST_HARNESS_DUMP_TAP), and the
# columns come from it: t/h2.t is HTTP/2, t/tls.t TLS, every other file
# HTTP/1.1.  Every skip is listed under the table with its reason.
#
# Exits 0 only when every cell passed (a skipped file or test is not a
# failure, but it is listed).  Every httpd keeps its core when it crashes
# (t/integration.sh, t/cores.sh) and the row's log gets its backtrace.  A
# crash fails its row, but for one: the known race of stock mod_http2 1.15
# on httpd 2.4.43 to 2.4.54 (known_race() below), which is reported as
# upstream's, with its backtrace, and runs the row once more; a crash in
# that second run fails the row whatever it is.  The logs, TAP, cores and
# backtraces of a run that failed or crashed are kept (EXPECT_LOGS,
# default /var/tmp/mod_expect-logs) and the folder is named at the end.
#
# Environment: HTTPD_SOURCES, EXPECT_CACHE (see build-httpd.sh),
# MATRIX_DEBIAN=0 leaves out Debian's apache2, MATRIX_RELEASES="2.4.37
# 2.4.62" runs only those releases, MATRIX_REF=HEAD tests that commit
# instead of the working tree (what others are editing stays out),
# MATRIX_TESTS="t/truth.t" runs only those test files, SRC the module's
# sources (from Makefile.apxs).
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use TAP::Parser ();
use Time::HiRes qw(time);

my $top = abs_path(dirname(__FILE__) . '/../..');
my $sources = $ENV{HTTPD_SOURCES} // "$top/../shared/httpd";
# The module's sources: from make (SRC), else as sources.mk names them.
my @src = split ' ', ($ENV{SRC} // `make -s -C '$top' -f sources.mk`);
my %only = map { $_ => 1 } split ' ', ($ENV{MATRIX_RELEASES} // '');
my @tests = split ' ', ($ENV{MATRIX_TESTS} // '');

-d $sources or die "matrix: no httpd sources in $sources (set HTTPD_SOURCES)\n";

sub vcmp {
    my @a = split /\./, $_[0];
    my @b = split /\./, $_[1];
    while (@a || @b) {
        my $c = (shift(@a) // 0) <=> (shift(@b) // 0);
        return $c if $c;
    }
    return 0;
}

my %tarball;
opendir my $dh, $sources or die "matrix: $sources: $!\n";
for (readdir $dh) {
    next unless /^httpd-(\d+\.\d+\.\d+)\.tar\.(?:xz|gz|bz2)$/;
    next if %only && !$only{$1};
    $tarball{$1} = "$sources/$_";
}
closedir $dh;
my @releases = sort { vcmp($a, $b) } keys %tarball;
@releases or die "matrix: no httpd-2.4.N.tar.xz in $sources\n";

# What runs: every release under event, the oldest under prefork too,
# then Debian's apache2.
my @runs;
for my $rel (@releases) {
    push @runs, { release => $rel, mpm => 'event', tarball => $tarball{$rel} };
    push @runs, { release => $rel, mpm => 'prefork', tarball => $tarball{$rel} }
        if $rel eq $releases[0];
}
if (($ENV{MATRIX_DEBIAN} // 1) && !%only) {
    push @runs, { release => 'debian', mpm => 'event',
                  apxs => '/usr/bin/apxs', httpd => '/usr/sbin/apache2' };
}

# The work folder holds each row's log, TAP and kept cores, and is kept
# when a row failed or crashed: it is made where kept logs go
# (EXPECT_LOGS, as t/integration.sh keeps its own), so that .ci/run and
# t/distro/run.sh find it.
my $logs = $ENV{EXPECT_LOGS} // '/var/tmp/mod_expect-logs';
if (!(-d $logs || mkdir $logs) || !-w $logs) {
    $logs = ($ENV{TMPDIR} // '/tmp') . "/mod_expect-logs-$<";
    -d $logs or mkdir $logs or die "matrix: $logs: $!\n";
}
my $work = tempdir('matrix-XXXXXX', DIR => $logs);
chmod 0755, $work;
my $failed = 0;
my $t0 = time;

sub run_logged {
    my ($log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>>', $log or die "$log: $!";
        open STDERR, '>&', \*STDOUT or die;
        exec @cmd or die "exec $cmd[0]: $!";
    }
    waitpid $pid, 0;
    return $? >> 8 || ($? & 127 ? 128 + ($? & 127) : 0);
}

sub slurp {
    open my $fh, '<', $_[0] or return '';
    local $/;
    return <$fh>;
}

# A scratch copy of the tree without build products, so each release's
# apxs builds the module from a clean state.
sub scratch_tree {
    my $dir = shift;
    mkdir $dir or die "$dir: $!";
    if (my $ref = $ENV{MATRIX_REF}) {
        system("git -C '$top' archive '$ref' | tar -x -C '$dir'") == 0
            or die "git archive $ref failed\n";
        return;
    }
    system('cp', '-a', "$top/.", "$dir/") == 0 or die "cp to $dir failed\n";
    remove_tree("$dir/.git", "$dir/.libs", "$dir/t/logs", "$dir/.demo");
    unlink glob("$dir/*.o $dir/*.lo $dir/*.slo $dir/*.la");
    unlink "$dir/t/TEST";
}

for my $run (@runs) {
    my $name = "$run->{release}-$run->{mpm}";
    my $log = "$work/$name.log";
    $run->{log} = $log;
    my $t = time;
    print STDERR "matrix: $run->{release} (mpm_$run->{mpm})\n";

    if ($run->{tarball}) {
        my $prefix = `sh '$top/t/matrix/build-httpd.sh' '$run->{tarball}' 2>>'$log'`;
        chomp $prefix;
        printf STDERR "  httpd: %s (%.0f s)\n", $prefix || 'build failed',
            time - $t;
        if ($? != 0 || !-x "$prefix/bin/httpd") {
            $run->{build} = 'httpd FAILED';
            $run->{note} = 'httpd does not build';
            next;
        }
        $run->{apxs} = "$prefix/bin/apxs";
        $run->{httpd} = "$prefix/bin/httpd";
    }
    my ($version) = `'$run->{httpd}' -v 2>/dev/null` =~ m{Server version: Apache/(\S+)};
    $run->{version} = $version // '?';
    $run->{label} = $run->{release} eq 'debian'
        ? "$run->{version} (Debian)" : $run->{version};

    my $tree = "$work/$name";
    scratch_tree($tree);
    my $built = run_logged($log, 'sh', '-c',
        'cd "$1" && shift && "$@"', 'sh', $tree, $run->{apxs}, '-c',
        '-Wc,-Wall', '-Wc,-Wextra', @src);
    my @warnings = grep { /\bwarning:/ } split /\n/, slurp($log);
    my $warnings = @warnings;
    if ($built != 0 || !-f "$tree/.libs/mod_expect.so") {
        $run->{build} = 'FAILED';
        my @errors = grep { /\berror\b/ } split /\n/, slurp($log);
        splice @errors, 3 if @errors > 3;
        $run->{note} = join "\n", 'the module does not build:', @errors;
        next;
    }
    $run->{build} = $warnings ? "$warnings warning(s)" : 'ok';
    if ($warnings) {
        $run->{build_failed} = 1;
        $run->{note} = "compiler warnings:\n" . join("\n", @warnings);
    }

    local $ENV{APXS} = $run->{apxs};
    local $ENV{HTTPD} = $run->{httpd};
    delete local $ENV{EXPECT_HTTPD};
    delete local $ENV{EXPECT_APACHE2};
    my @files = @tests ? @tests
                       : map { s{^\Q$tree\E/}{}r } sort glob("$tree/t/*.t");
    # A crash fails the row, unless it is the known race of mod_http2 1.15
    # on 2.4.43 to 2.4.54 (known_race()): then it is reported as
    # upstream's, with its backtrace, and the row runs once more, where
    # any crash fails it.
    for my $again (0, 1) {
        my $suffix = $again ? '.again' : '';
        my $tap = "$work/$name$suffix.tap";
        mkdir $tap;
        chmod 0777, $tap;
        my $kept = "$work/$name$suffix.kept";
        $run->{log} = "$work/$name$suffix.log";
        local $ENV{PERL_TEST_HARNESS_DUMP_TAP} = $tap;
        local $ENV{EXPECT_LOGS} = $kept;
        $run->{status} = run_logged($run->{log}, 'sh',
            "$tree/t/integration.sh", $run->{mpm}, @tests);
        judge($run, $tap, @files);
        my $crash = crashes($run, $kept) or last;
        push @{ $run->{crashes} }, $crash;
        print STDERR "  $_\n" for split /\n/, $crash->{text};
        if ($crash->{upstream} && !$again) {
            print STDERR "  the known mod_http2 1.15 race: the row runs again\n";
            next;
        }
        $run->{crash_failed} = 1;
        last;
    }
    remove_tree($tree);
    $run->{secs} = time - $t;
    printf STDERR "  suite: exit %d (%.0f s in all)\n", $run->{status},
        $run->{secs};
}

# The known upstream race: stock mod_http2 1.15.8 to 1.15.28 (httpd 2.4.43
# to 2.4.54; mod_http2 2.x of 2.4.55 replaced that code) can free a
# session's multiplexer while a worker still uses it.  Once the client has
# closed, the main connection's h2_session_pre_close() destroys the
# session pool; a worker finishing a stream at that moment is in
# h2_mplx_s_task_done() -> s_task_done() -> mst_check_data_for(), which
# drops m->lock while it queues the stream (so that a full queue cannot
# deadlock it) and then takes the lock of an m that may be gone.  Seen as
# a child's segfault about once in 20 runs of t/truth.t's HTTP/2 cases on
# a busy machine, with or without mod_expect.  (2.4.43 to 2.4.45 name the
# functions check_data_for(), task_done() and h2_mplx_task_done().)
# It is that race when the thread that crashed (gdb's current thread,
# t/cores.sh) was in mst_check_data_for(), called from
# s_task_done(), called from h2_mplx_s_task_done(), with nothing of
# mod_expect between the fault and those frames, on 2.4.43 to 2.4.54.
sub known_race {
    my ($bt, $version) = @_;
    return 0 unless $version =~ /^\d+\.\d+\.\d+$/
        && vcmp($version, '2.4.43') >= 0 && vcmp($version, '2.4.55') < 0;
    my ($thread) = $bt =~ /^the thread that crashed:\n(.*?)^every thread:/ms
        or return 0;
    # Below the handler's frames, when the signal came through one.
    $thread =~ s/.*<signal handler called>\n//s;
    my @frames = $thread =~ /^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(/mg;
    my $i = 0;
    $i++ while $i < @frames && $frames[$i] !~ /^(?:mst_)?check_data_for$/;
    return 0 if $i == @frames || $i > 8;
    return 0 if grep { /^(?:ex_|expect_)/ } @frames[0 .. $i];
    return ($frames[$i + 1] // '') =~ /^(?:s_)?task_done$/
        && ($frames[$i + 2] // '') =~ /^h2_mplx_(?:s_)?task_done$/;
}

# What crashed in one run of the suite: the crash lines t/integration.sh
# printed from the error log, and the backtraces of the cores it kept (in
# $kept, the EXPECT_LOGS it was given).  Undef when nothing crashed.
sub crashes {
    my ($run, $kept) = @_;
    my %seen;
    my @lines = grep { /exit signal|AddressSanitizer|runtime error:/
                       && !$seen{$_}++ } split /\n/, slurp($run->{log});
    my @cores = grep { !/\.bt$/ } glob("$kept/*/cores/core*");
    return undef unless @lines || @cores;
    my @bts = grep { -f } map { "$_.bt" } @cores;
    my @known = grep { known_race(slurp($_), $run->{version}) } @bts;
    my $exits = grep { /exit signal/ } @lines;
    # Upstream's only when every crash left a core whose backtrace is
    # that race: a crash without a core, or a sanitizer's report, is ours
    # until shown otherwise.
    my $upstream = @cores && @known == @cores
                   && $exits <= @cores && $exits == @lines;
    my $text = sprintf "%s: %d crash(es) in the error log, %d core(s)",
        basename($run->{log}), $exits, scalar @cores;
    $text .= ': ' . ($upstream
        ? 'the known race of stock mod_http2 1.15 (httpd 2.4.43 to 2.4.54, '
          . 'see docs/releases.md), not ours'
        : 'not the known upstream race: a failure');
    $text .= "\n  backtrace: $_" for @bts;
    $text .= "\n  $_" for grep { !/exit signal/ } @lines;
    return { upstream => $upstream, text => $text };
}

# Per file: passed, failed, skipped (with reasons) from the raw TAP; the
# harness's own per-file line tells a file that died after its tests.
sub judge {
    my ($run, $tapdir, @files) = @_;
    my $out = slurp($run->{log});
    # "t/x.t .. ok", "t/x.t .. skipped: why", or "t/x.t .. " followed by
    # "Dubious, ..." and "Failed n/m subtests" lines.
    my %harness;
    my $file;
    for (split /\n/, $out) {
        if (m{^(t/[\w/.-]+\.t) \.+ ?(.*?)\s*$}) {
            $file = $1;
            $harness{$file} = $2;
        } elsif ($file && /^(Dubious|Failed|No subtests|Parse errors)/) {
            $harness{$file} .= ($harness{$file} eq '' ? '' : '; ') . $_;
        } elsif (/^(All tests successful|Files=|Result:|FAILED)/) {
            $file = undef;
        }
    }
    my %col = map { $_ => { files => 0, pass => 0, fail => 0, skip => [],
                            failed => [] } } qw(h1 h2 tls);
    for my $file (@files) {
        my $c = $file eq 't/h2.t' ? 'h2' : $file eq 't/tls.t' ? 'tls' : 'h1';
        my $col = $col{$c};
        $col->{files}++;
        my $raw = slurp("$tapdir/$file");
        if ($raw eq '') {
            # Never ran, or printed nothing: a failure, whatever it planned.
            $col->{fail}++;
            push @{ $col->{failed} },
                "$file: " . ($harness{$file} || 'did not run');
            next;
        }
        my $p = TAP::Parser->new({ tap => $raw });
        my @skips;
        while (my $r = $p->next) {
            push @skips, $r->explanation if $r->is_test && $r->has_skip;
        }
        my $hres = $harness{$file} // 'did not run';
        my $ok = $hres =~ /^(?:ok\b|skipped)/;
        if ($p->skip_all) {
            push @{ $col->{skip} }, [$file, 'all', $p->skip_all];
            $col->{skipped_all}++;
            next;
        }
        my $failed = () = $p->failed;
        my $unrun = ($p->tests_planned // 0) - $p->tests_run;
        $failed += $unrun if $unrun > 0;
        my $bad = !$ok || $failed || $p->has_problems || !$raw;
        $col->{pass} += $p->passed - @skips;
        $col->{fail} += $failed;
        if ($bad) {
            push @{ $col->{failed} }, "$file: " . ($hres || 'no result');
        }
        my %why;
        $why{$_ // ''}++ for @skips;
        push @{ $col->{skip} }, [$file, $why{$_}, $_] for sort keys %why;
    }
    $run->{col} = \%col;
    $run->{harness} = \%harness;
    unless (%harness) {
        # The suite never ran a file: say why, from what httpd printed.
        my @why = grep { /undefined symbol|Cannot load|Syntax error|failed to start|died|error/i
                         && !/No MPM loaded|^\[\s*error\]\s*$/ }
                  split /\n/, $out;
        $run->{note} = @why ? join("\n", @why[0 .. ($#why < 3 ? $#why : 3)])
                            : 'the suite did not run';
    }
}

# The table.
my @notes;
sub note_ref {
    my $text = shift;
    for my $i (0 .. $#notes) {
        return $i + 1 if $notes[$i] eq $text;
    }
    push @notes, $text;
    return scalar @notes;
}

sub cell {
    my ($run, $c) = @_;
    return '-' unless $run->{col};
    my $col = $run->{col}{$c};
    my $name = "$run->{label} mpm_$run->{mpm}";
    if (!%{ $run->{harness} }) {
        $run->{failcell} = 1;
        return 'FAIL (did not run)';
    }
    if (!$col->{files}) {
        return $c eq 'tls' ? 'no test (t/tls.t)' : 'no test';
    }
    my @refs = map {
        note_ref("$name, $_->[0]: "
                 . ($_->[1] eq 'all' ? 'skipped' : "$_->[1] skipped")
                 . ": $_->[2]")
    } @{ $col->{skip} };
    my $refs = @refs ? ' [' . join(',', @refs) . ']' : '';
    if ($col->{fail} || @{ $col->{failed} }) {
        $run->{failcell} = 1;
        note_ref("$name: $_") for @{ $col->{failed} };
        return "FAIL ($col->{fail} of " . ($col->{pass} + $col->{fail})
               . ")$refs";
    }
    # Skips whose reason says that core, not the module, judges those
    # requests on this release (mod_http2 before 2.0 on 2.4.49 to 2.4.54).
    my $unjudged = 0;
    for (@{ $col->{skip} }) {
        next unless $_->[2] =~ /not judged|core judges/i;
        $unjudged += $_->[1] eq 'all' ? 1 : $_->[1];
    }
    if ($col->{skipped_all} && $col->{skipped_all} == $col->{files}) {
        return ($unjudged ? 'not judged' : 'skip') . $refs;
    }
    if ($unjudged) {
        return "pass ($col->{pass}); $unjudged "
               . ($c eq 'h2' ? '' : 'h2 ') . "not judged$refs";
    }
    return "pass ($col->{pass})$refs";
}

my @rows;
my $crashed = 0;
for my $run (@runs) {
    my @c = map { cell($run, $_) } qw(h1 h2 tls);
    my $ok = !$run->{failcell} && !$run->{build_failed} && !$run->{crash_failed}
             && ($run->{build} // '') !~ /FAILED/ && ($run->{status} // 1) == 0;
    my $name = ($run->{label} // $run->{release}) . " mpm_$run->{mpm}";
    for (@{ $run->{crashes} // [] }) {
        $crashed++;
        note_ref("$name: $_->{text}");
    }
    if (!$ok) {
        $failed++;
        note_ref("$run->{release} mpm_$run->{mpm}: $run->{note}")
            if $run->{note};
        note_ref("$run->{release} mpm_$run->{mpm}: "
                 . (defined $run->{status}
                    ? "t/integration.sh exit $run->{status}, " : '')
                 . "log kept: $run->{log}");
    }
    my $result = !$ok ? 'FAIL'
               : $run->{crashes} ? 'pass (ran again after upstream crash)'
               : 'pass';
    push @rows, [$run->{label} // $run->{release}, $run->{mpm},
                 $run->{build} // '-', @c, $result];
}

my @head = ('release', 'MPM', 'module build', 'HTTP/1.1', 'HTTP/2', 'TLS',
            'result');
my @w = map { length } @head;
for my $r (@rows) {
    $w[$_] = length $r->[$_] > $w[$_] ? length $r->[$_] : $w[$_] for 0 .. $#$r;
}
my $fmt = join(' | ', map { "%-${_}s" } @w) . "\n";
print "\n";
printf $fmt, @head;
print join('-+-', map { '-' x $_ } @w), "\n";
printf $fmt, @$_ for @rows;
print "\n";
print "[$_] $notes[$_ - 1]\n" for 1 .. @notes;
printf "\nmatrix: %d run(s), %d failed, %.0f s\n", scalar @runs, $failed,
    time - $t0;

if ($failed || $crashed) {
    print "matrix: logs, TAP, cores and backtraces kept in $work\n";
} else {
    remove_tree($work);
}
exit($failed ? 1 : 0);
