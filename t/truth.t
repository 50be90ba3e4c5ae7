# What became of each 100-continue, compared, request by request, with
# what the client did: t/truthclient.py sends each case's requests (many,
# several at once) and says, for each, which outcome docs/status.md's
# definitions give from what it did and saw.  The EXPECT_CONTINUE log field
# of every request must say the same, and the ExpectContinue* counters must
# have grown by exactly what the log says (the proxy case's backend is
# t/truthbackend.py, outside httpd).  Where httpd cannot tell (docs/status.md, "unknown"), the
# request must be counted unknown, never as another outcome.
#
# EXPECT_TRUTH_N requests per case (default 200), EXPECT_TRUTH_WORKERS at
# a time (default 8).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes qw(sleep time);
use lib 't/lib';
use ExpectTest;

my $N = $ENV{EXPECT_TRUTH_N} || 200;
my $W = $ENV{EXPECT_TRUTH_WORKERS} || 8;
my $h2_ok = ($ENV{EXPECT_TEST_MPM} // 'event') ne 'prefork';
my $h2_late = !have_min_apache_version('2.4.55');
my @handlers = qw(cgi proxy noread);
my @cases = qw(eager wait reset100 resethead midbody);
plan tests => 2 * @handlers * @cases * 2;

my $port = Apache::Test::vars('port');

# The proxy case's backend, on the port t/TEST.PL put in httpd.conf;
# stopped when this test ends, however it ends.
our ($backend_pid, $backend);   # not my: perl closes a file lexical, and
                                 # waits for its process, before END runs
{
    my $conf = Apache::Test::vars('t_conf') . '/httpd.conf';
    open my $fh, '<', $conf or die "$conf: $!";
    my ($bport) = join('', <$fh>) =~ /^Define EXPECT_TRUTH_BACKEND (\d+)$/m
        or die "no EXPECT_TRUTH_BACKEND in $conf";
    $backend_pid = open $backend, '-|', '/usr/bin/python3', 't/truthbackend.py',
        $bport or die "t/truthbackend.py: $!";
    my $ready = <$backend> // '';
    die "t/truthbackend.py did not start" unless $ready =~ /^ready/;
}
# KILL: a signal the harness may have set to be ignored cannot keep it.
# A TERM or INT to this test still runs END (and t/truthbackend.py also
# ends once this process is gone).
END { kill 'KILL', $backend_pid if $backend_pid }
$SIG{TERM} = $SIG{INT} = sub { exit 1 };
my $log = Apache::Test::vars('t_logs') . '/truth_log';
my @OUT = qw(Sent Skipped EarlyBody Abandoned Unknown);
my $handler_now = '';
my %field = (Sent => 'sent', Skipped => 'skipped', EarlyBody => 'early-body',
             Abandoned => 'abandoned', Unknown => 'unknown');

# Which outcomes a request may be counted as, besides the client's own,
# because httpd cannot tell them apart there (docs/status.md).
sub may_be {
    my ($proto, $case, $truth) = @_;
    if ($proto eq 'h1') {
        # A handler that never reads: a connection found ended when the
        # request is logged may have ended before the final status or
        # after it.
        return $handler_now eq 'noread' && $truth =~ /^(skipped|abandoned)$/
               ? ('unknown') : ();
    }
    # mod_http2 1.x (httpd before 2.4.55) may start a request before the
    # DATA read with its HEADERS is in the stream's input: no DATA seen
    # there proves nothing, and only early-body or abandoned can be told.
    return ('unknown') if $h2_late;
    # A reset or a close after mod_http2 was handed the 100 (or a final
    # status): the stream cannot see whether the frame went out first.
    # A reset found at the log, or mod_http2's own reset after answering
    # an upload it did not read: skipped or abandoned.  (DATA that came
    # with the HEADERS is always seen: early-body.)
    return ('unknown') if $case =~ /^(reset100|midbody|resethead)$/
                          || ($handler_now eq 'noread'
                              && $truth =~ /^(skipped|abandoned)$/);
    return ();
}

sub error_log_tail {
    my $f = Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $f or return ();
    my @l = grep { !/expect:debug|AH01145/ } <$fh>;
    return map { "error_log: $_" } @l[($#l > 12 ? $#l - 12 : 0) .. $#l];
}

# The log lines from $from on, by id, for requests to $path.
sub logged {
    my ($from, $path) = @_;
    my %by;
    my @all;
    if (open my $fh, '<', $log) {
        seek $fh, $from, 0;
        while (my $l = <$fh>) {
            push @all, $l;
            next unless $l =~ m{"POST \Q$path\E\?id=(\d+) HTTP/[\d.]+" (\d+) continue=(\S+)};
            $by{$1} = $3;
        }
    }
    return (\%by, \@all);
}

for my $proto (qw(h1 h2)) {
  SKIP: {
    skip 'HTTP/2: mod_http2 does not run under prefork',
        @handlers * @cases * 2 unless $proto eq 'h1' || $h2_ok;
    for my $handler (@handlers) {
        for my $case (@cases) {
            my $path = "/truth/$handler";
            $handler_now = $handler;
            my $name = "$proto $handler $case";
            if ($ENV{EXPECT_TRUTH_ONLY} && $name !~ /$ENV{EXPECT_TRUTH_ONLY}/) {
                # A real skip of this case's two tests, not skip(): that
                # would leave the SKIP block around every case.
                Test::More->builder->skip("$name: not chosen by EXPECT_TRUTH_ONLY")
                    for 1 .. 2;
                next;
            }
            my $t0 = time;
            my $from = -s $log // 0;
            my $before = counters();
            open my $cl, '-|', '/usr/bin/python3', 't/truthclient.py', $port,
                $proto, $case, $path, $N, $W or die "truthclient: $!";
            my %truth;
            while (<$cl>) {
                my ($id, $outcome, $interim, $final) = split;
                $truth{$id} = $outcome;
            }
            my $client_ok = close $cl;
            # Wait (at most 60 s) for every request the server began to
            # be logged and counted.  Streams reset right behind their
            # HEADERS may or may not have begun a request; the client
            # waited for httpd to close each HTTP/2 connection, which it
            # does once every stream of it is done, so what is logged by
            # then is all there is, and the counters catch up with it.
            my $want = $proto eq 'h2' && $case eq 'resethead' ? 0 : $N;
            my $deadline = time + 60;
            my ($by, $all, $d, $sum, $lines);
            while (1) {
                ($by, $all) = logged($from, $path);
                my $now = counters();
                $d = { map { $_ => ($now->{"ExpectContinue$_"} // 0)
                                   - ($before->{"ExpectContinue$_"} // 0) } @OUT };
                $sum = 0;
                $sum += $d->{$_} for @OUT;
                $lines = grep { /continue=(?!-)/ } @$all;
                last if (keys %$by >= $want && $sum == $lines)
                        || time > $deadline;
                sleep 0.2;
            }
            my (@wrong, %seen);
            push @wrong, "t/truthclient.py failed (exit $?)" unless $client_ok;
            push @wrong, 'the client reported ' . scalar(keys %truth)
                . " of $N requests" if keys %truth != $N;
            for my $id (0 .. $N - 1) {
                my $t = $truth{$id} // 'none';
                my $got = $by->{$id};
                if (!defined $got) {
                    # A stream reset before httpd began its request is no
                    # request: nothing counts it, nothing logs it.
                    next if $proto eq 'h2' && $case eq 'resethead';
                    push @wrong, "$id: client $t, not logged";
                    next;
                }
                $seen{$got}++;
                next if $got eq $t || grep { $_ eq $got } may_be($proto, $case, $t);
                push @wrong, "$id: client $t, EXPECT_CONTINUE=$got";
            }
            ok !@wrong, "$name: EXPECT_CONTINUE agrees with the client for "
                . "every request (" . join(', ', map { "$_ $seen{$_}" }
                                           sort keys %seen) . ")"
                or diag join "\n", @wrong[0 .. ($#wrong < 9 ? $#wrong : 9)],
                        error_log_tail();
            note sprintf '%s: %.1f s', $name, time - $t0;
            my %want = map { $_ => 0 } @OUT;
            for my $l (@$all) {
                my ($v) = $l =~ /continue=(\S+)/ or next;
                next if $v eq '-';
                my ($k) = grep { $field{$_} eq $v } @OUT;
                $want{$k // 'none'}++;
            }
            is join(' ', map { "$_=$d->{$_}" } @OUT),
               join(' ', map { "$_=$want{$_}" } @OUT),
               "$name: the counters grew by what the log says";
        }
    }
  }
}
