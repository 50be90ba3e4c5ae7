#!/usr/bin/perl
# Soak: mixed traffic at mod_expect for a while, then the figures.
#
#   perl t/soak/soak.pl              # 60 s after a warm-up
#   DURATION=180 perl t/soak/soak.pl
#
# Starts Debian's apache2 under mpm_event with the freshly built
# .libs/mod_expect.so (build it first: make -f Makefile.apxs) on a free
# port of 127.0.0.1, from t/soak/soak.conf, in a directory of its own under
# /tmp.  As root it runs apache2 with User nobody.  Several clients then
# send, for WARMUP seconds and then for DURATION seconds:
#
#   - HTTP/1.x from CLIENTS processes, half of them on keep-alive
#     connections, half with a connection per request: expectations met
#     (waiting for the 100 or not, trickled, folded, over several lines),
#     refused (body withheld, body sent at once with a request smuggled in
#     it, no body), lenient, an extension, thousands of members, HTTP/1.0,
#     a NUL byte, pipelined requests;
#   - HTTP/2 from h2load (Debian's nghttp2-client, installed when missing
#     and run as root): met, refused, unknown, lenient, extension;
#   - HTTP/2 from t/h2client.py: streams that wait for their 100 beside
#     refused ones on one connection.
#
# Every request has one expected status.  At the end it prints the requests
# sent, the unexpected statuses, the children that crashed ("exit signal"
# or a sanitizer report in the error log) and how much the children's
# resident memory grew from the end of the warm-up to the end of the run.
# It exits non-zero when a status was unexpected, a child crashed or was
# replaced, or the growth exceeds RSS_BOUND_PCT percent (default 10) of
# the memory at the start.  Whatever happens, it stops what it started.
#
# The memory is the VmRSS of apache2's children (the two mpm_event
# processes and mod_cgid's daemon), read from /proc.  So that caches
# filling up do not pass for growth, soak.conf keeps MaxMemFree small and
# apache2 runs with MALLOC_ARENA_MAX=2; the run then stays within a few
# percent, while a module leaking 256 bytes a request grows by more than
# 100% in 30 s.
#
# Settings (environment): DURATION (s, default 60, at most 600), WARMUP
# (s, default 10), CLIENTS (default 6), MAX_REQUESTS (a bound on the
# requests of each phase, default 5000000), RSS_BOUND_PCT (default 10),
# APACHE2 (default /usr/sbin/apache2), KEEP=1 keeps the directory.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use IO::Select ();
use IO::Socket::INET ();
use POSIX qw(WNOHANG _exit);
use Socket qw(IPPROTO_TCP TCP_NODELAY SHUT_WR);
use Time::HiRes qw(time sleep);

$| = 1;
my $top      = abs_path(dirname(abs_path($0)) . '/../..');
my $duration = $ENV{DURATION} // 60;
my $warmup   = $ENV{WARMUP} // 10;
my $nclients = $ENV{CLIENTS} // 6;
my $max_req  = $ENV{MAX_REQUESTS} // 5_000_000;
my $bound    = $ENV{RSS_BOUND_PCT} // 10;
my $apache   = $ENV{APACHE2} // '/usr/sbin/apache2';
my $module   = "$top/.libs/mod_expect.so";
my $python   = '/usr/bin/python3';
my $body     = 'soak body 0123456789';
my $cl       = 'Content-Length: ' . length $body;

die "DURATION must be 1 to 600 seconds\n" unless $duration =~ /^\d+$/
    && $duration >= 1 && $duration <= 600;
die "WARMUP must be 0 to 60 seconds\n" unless $warmup =~ /^\d+$/ && $warmup <= 60;
die "CLIENTS must be 1 to 64\n" unless $nclients =~ /^\d+$/
    && $nclients >= 1 && $nclients <= 64;
die "$module is missing: build it first (make -f Makefile.apxs)\n"
    unless -f $module;
die "$apache is missing (apt-get install apache2)\n" unless -x $apache;

my $root = $> == 0;
my $h2load = find_h2load();
my $h2client = -x $python && system("$python -c 'import h2' 2>/dev/null") == 0;

# --- the server --------------------------------------------------------------
my $main_pid = $$;
my ($dir, $httpd_pid, @drivers);

END {
    if ($$ == $main_pid) {
        my $status = $?;
        stop_all();
        $? = $status;
    }
}
$SIG{INT} = $SIG{TERM} = sub { exit 130 };

$dir = tempdir('mod_expect-soak.XXXXXX', TMPDIR => 1);
chmod 0755, $dir;
mkdir "$dir/$_", 0755 for qw(htdocs cgi);
write_file("$dir/htdocs/index.html", "soak\n");
for my $script (qw(echo lenient)) {
    write_file("$dir/cgi/$script", "#!/bin/sh\n"
        . "printf 'Content-Type: text/plain\\r\\nX-Seen-Expect: %s\\r\\n\\r\\n' "
        . "\"\$HTTP_EXPECT\"\nexec head -c \"\${CONTENT_LENGTH:-0}\"\n");
    chmod 0755, "$dir/cgi/$script";
}
my $port = free_port();
$ENV{SOAK_DIR} = $dir;
$ENV{SOAK_PORT} = $port;
$ENV{SOAK_MODULE} = $module;

$httpd_pid = fork // die "fork: $!";
if (!$httpd_pid) {
    open STDIN, '<', '/dev/null';
    # glibc gives each thread an arena of its own as it first allocates:
    # with two, the memory that grows is memory held, not arenas created.
    $ENV{MALLOC_ARENA_MAX} //= 2;
    exec($apache, '-d', $dir, '-f', "$top/t/soak/soak.conf", '-DFOREGROUND',
         $root ? '-DSOAK_ROOT' : ()) or _exit(127);
}
wait_for_server()
    or fail_now("apache2 did not start:\n" . (slurp("$dir/error_log") // ''));

print "soak: apache2 (mpm_event) pid $httpd_pid on 127.0.0.1:$port, $dir\n";
print "soak: $nclients HTTP/1.x clients"
    . ($h2load ? ", h2load" : ", no h2load")
    . ($h2client ? ", t/h2client.py" : ", no python3-h2") . "\n";

my %warm = $warmup ? run_phase('warm-up', $warmup) : ();
sleep 1;
my %rss0 = children_rss();
my @samples;
my %run = run_phase('run', $duration, sub { push @samples, sum_rss() });
sleep 1.5;        # a crashed child is logged when the parent reaps it
my %rss1 = children_rss();

# --- the figures ---------------------------------------------------------------
my $log = slurp("$dir/error_log");
my $crashed = () = $log =~ /exit signal|AddressSanitizer|runtime error:/g;
my $sum0 = 0; $sum0 += $_ for values %rss0;
my $sum1 = 0; $sum1 += $_ for values %rss1;
my @gone = grep { !exists $rss1{$_} } sort keys %rss0;
my $growth = $sum1 - $sum0;
my $pct = $sum0 ? 100 * $growth / $sum0 : 0;
my $unexpected = ($warm{unexpected} // 0) + $run{unexpected};

print "\n";
printf "%-26s %s\n", 'duration:', "$warmup s warm-up + $duration s";
printf "%-26s %d (warm-up %d)\n", 'requests sent:', $run{sent}, $warm{sent} // 0;
for my $k (sort keys %{ $run{by} }) {
    printf "    %-36s %d\n", $k, $run{by}{$k};
}
printf "%-26s %d\n", 'unexpected statuses:', $unexpected;
print map { "    $_\n" } @{ $run{examples} }, @{ $warm{examples} // [] };
printf "%-26s %d\n", 'crashed children:', $crashed;
printf "%-26s %d kB at the start, %d kB at the end (%d children)\n",
    'children RSS:', $sum0, $sum1, scalar keys %rss1;
printf "%-26s %+d kB (%+.1f%%; bound %d%%)\n", 'RSS growth:', $growth, $pct,
    $bound;
printf "%-26s %s kB\n", 'RSS along the run:', join ' ', @samples;
printf "%-26s %s\n", 'children replaced:', @gone ? scalar @gone : 0;

my @fail;
push @fail, "$unexpected unexpected statuses" if $unexpected;
push @fail, "$crashed crashes in the error log" if $crashed;
push @fail, 'children were replaced during the run' if @gone;
push @fail, "the children's RSS grew by more than $bound%" if $pct > $bound;
push @fail, 'no request was sent' unless $run{sent};
if (@fail) {
    print "soak: FAIL: ", join('; ', @fail), "\n";
    print "error log:\n", $log =~ /(.{0,4000})\z/s if $crashed;
    exit 1;
}
print "soak: PASS\n";
exit 0;

# --- phases ------------------------------------------------------------------------
# Run every driver for $seconds in processes of their own; their counts,
# added up.
sub run_phase {
    my ($name, $seconds, $sampler) = @_;
    my $deadline = time + $seconds;
    my @kinds = ((map { [ h1 => $_ ] } 1 .. $nclients),
                 $h2load ? [ 'h2load' ] : (), $h2client ? [ 'h2client' ] : ());
    my $cap = int($max_req / @kinds) || 1;
    print "soak: $name, $seconds s\n";
    @drivers = ();
    $sampler //= sub {};
    for my $i (0 .. $#kinds) {
        my $file = "$dir/result.$name.$i";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            $SIG{INT} = $SIG{TERM} = 'DEFAULT';
            setpgrp(0, 0);    # with its h2load or h2client.py, stopped as one
            my ($kind, $n) = @{ $kinds[$i] };
            my %r = $kind eq 'h1' ? h1_driver($n, $deadline, $cap)
                  : $kind eq 'h2load' ? h2load_driver($deadline, $cap)
                  : h2client_driver($deadline, $cap);
            open my $fh, '>', $file or _exit(1);
            print $fh "sent $r{sent}\nunexpected $r{unexpected}\n";
            print $fh "by $_ $r{by}{$_}\n" for keys %{ $r{by} };
            print $fh "example $_\n" for @{ $r{examples} };
            close $fh;
            _exit(0);
        }
        push @drivers, $pid;
    }
    # Sample the children's memory every tenth of the phase meanwhile.
    my $next = time + $seconds / 10;
    while (grep { waitpid($_, WNOHANG) == 0 } @drivers) {
        sleep 0.2;
        if (time >= $next) {
            $sampler->();
            $next += $seconds / 10;
        }
    }
    my %total = (sent => 0, unexpected => 0, by => {}, examples => []);
    for my $i (0 .. $#drivers) {
        waitpid $drivers[$i], 0;
        my $file = "$dir/result.$name.$i";
        if (!-f $file) {
            $total{unexpected}++;
            push @{ $total{examples} }, "driver $i ($kinds[$i][0]) died";
            next;
        }
        for (split /\n/, slurp($file)) {
            if (/^(sent|unexpected) (\d+)$/) { $total{$1} += $2 }
            elsif (/^by (.+) (\d+)$/) { $total{by}{$1} += $2 }
            elsif (/^example (.*)$/) {
                push @{ $total{examples} }, $1 if @{ $total{examples} } < 10;
            }
        }
    }
    @drivers = ();
    return %total;
}

# --- HTTP/1.x ---------------------------------------------------------------------
# Each case sends one exchange on $c and says whether it went as it must:
# (ok, keep the connection, what happened).

sub h1_cases {
    my $smuggled = "GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    my $many = join ',', ('a') x 2000;
    return (
        [ 'met, waits for 100' => sub {
            my ($c, $close) = @_;
            sendb($c, head('POST', '/up', ['Expect: 100-continue', $cl], $close));
            my $r = rd($c);
            return (0, 0, status($r) . ' instead of 100') unless $r && $r->{status} == 100;
            sendb($c, $body);
            $r = rd($c);
            return final($r, 200, $body);
        } ],
        [ 'met, body at once' => sub {
            my ($c, $close) = @_;
            sendb($c, head('POST', '/up', ['Expect: 100-continue', $cl], $close) . $body);
            my $r = rd($c);
            $r = rd($c) if $r && $r->{status} == 100;
            return final($r, 200, $body);
        } ],
        [ 'met, head trickled' => sub {
            my ($c, $close) = @_;
            my $h = head('POST', '/ext', ['eXpect: x-foo,', ' 100-continue', $cl], $close);
            my $cut = 1 + int rand(length($h) - 1);
            setsockopt($c->{s}, IPPROTO_TCP, TCP_NODELAY, 1);
            sendb($c, substr($h, 0, $cut));
            sleep 0.001;
            sendb($c, substr($h, $cut));
            my $r = rd($c);
            return (0, 0, status($r) . ' instead of 100') unless $r && $r->{status} == 100;
            sendb($c, $body);
            return final(rd($c), 200, $body);
        } ],
        [ 'met, several lines' => sub {
            my ($c, $close) = @_;
            sendb($c, head('POST', '/ext', ['Expect: 100-continue,', "\tx-foo",
                                            'X-Other: 1', 'EXPECT: X-Bar=1;q="a, b"',
                                            $cl], $close) . $body);
            my $r = rd($c);
            $r = rd($c) if $r && $r->{status} == 100;
            return final($r, 200, $body);
        } ],
        [ 'lenient' => sub {
            my ($c, $close) = @_;
            sendb($c, head('POST', '/lenient', ['Expect: x-foo, 100-continue', $cl],
                           $close));
            my $r = rd($c);
            return (0, 0, status($r) . ' instead of 100') unless $r && $r->{status} == 100;
            sendb($c, $body);
            $r = rd($c);
            return (0, 0, 'EXPECT_STATUS ' . ($r->{headers}{'x-expect-status'} // '-'))
                if $r && ($r->{headers}{'x-expect-status'} // '') ne 'ignored';
            return final($r, 200, $body);
        } ],
        [ 'refused, body withheld' => sub {
            my ($c, $close) = @_;
            sendb($c, head('POST', '/up', ['Expect: 100-continue, x-foo', $cl], $close));
            my $r = rd($c);
            return (0, 0, status($r) . ' instead of 417') unless $r && $r->{status} == 417;
            return (eof_within($c) ? 1 : 0, 0, 'connection left open after 417');
        } ],
        [ 'refused, body smuggled' => sub {
            my ($c, $close) = @_;
            sendb($c, head('POST', '/up', ['Expect: x-foo',
                                           'Content-Length: ' . length $smuggled], 0)
                      . $smuggled . head('GET', '/index.html', [], 0));
            my $r = rd($c);
            return (0, 0, status($r) . ' instead of 417') unless $r && $r->{status} == 417;
            my $next = rd($c, 2);
            return (0, 0, 'a response after the 417: ' . status($next)) if $next;
            return (1, 0, '');
        } ],
        [ 'refused, no body' => sub {
            my ($c, $close) = @_;
            sendb($c, head('GET', '/up', ['Expect: x-foo'], $close));
            return final(rd($c), 417);
        } ],
        [ 'refused, none allowed' => sub {
            my ($c, $close) = @_;
            sendb($c, head('POST', '/none', ['Expect: 100-continue', 'Content-Length: 0'],
                           $close));
            return final(rd($c), 417);
        } ],
        [ 'refused, 2000 members' => sub {
            my ($c, $close) = @_;
            sendb($c, head('GET', '/up', ["Expect: $many"], $close));
            return final(rd($c), 417);
        } ],
        [ 'extension' => sub {
            my ($c, $close) = @_;
            sendb($c, head('POST', '/ext', ['Expect: x-foo=1;a="b, c", X-BAR', $cl],
                           $close) . $body);
            return final(rd($c), 200, $body);
        } ],
        [ 'HTTP/1.0' => sub {
            my ($c, $close) = @_;
            sendb($c, head('POST', '/up', ['Expect: 100-continue', $cl,
                                           $close ? () : 'Connection: keep-alive'],
                           0, 'HTTP/1.0') . $body);
            my $r = rd($c);
            return (0, 0, 'an interim 100 to HTTP/1.0') if $r && $r->{status} == 100;
            return final($r, 200, $body);
        } ],
        [ 'NUL byte' => sub {
            my ($c, $close) = @_;
            sendb($c, head('GET', '/up', ["Expect: 100-\0continue"], $close));
            my ($ok, undef, $what) = final(rd($c), 400);
            return ($ok, 0, $what);
        } ],
        [ 'pipelined' => sub {
            my ($c, $close) = @_;
            sendb($c, head('GET', '/index.html', [], 0)
                      . head('GET', '/up', ['Expect: x-foo'], 0)
                      . head('POST', '/up', ['Expect: 100-continue', $cl], 0) . $body
                      . head('GET', '/index.html', [], $close));
            my @st;
            while (@st < 4) {
                my $r = rd($c) or last;
                push @st, $r->{status} unless $r->{status} == 100;
            }
            return ("@st" eq '200 417 200 200' ? 1 : 0, !$close, "pipelined: @st");
        }, 4 ],
        [ 'plain GET' => sub {
            my ($c, $close) = @_;
            sendb($c, head('GET', '/index.html', [], $close));
            return final(rd($c), 200);
        } ],
    );
}

sub h1_driver {
    my ($n, $deadline, $cap) = @_;
    my $keepalive = $n % 2;       # half the clients keep their connections
    my @cases = h1_cases();
    my %r = (sent => 0, unexpected => 0, by => {}, examples => []);
    my $c;
    my $i = $n * 7;
    srand($$);
    while (time < $deadline && $r{sent} < $cap) {
        my ($name, $run, $count) = @{ $cases[$i++ % @cases] };
        $c ||= conn() or do {
            $r{unexpected}++;
            push @{ $r{examples} }, "connect: $!" if @{ $r{examples} } < 5;
            sleep 0.1;
            next;
        };
        my ($ok, $keep, $what) = eval { $run->($c, !$keepalive) };
        ($ok, $keep, $what) = (0, 0, "died: $@") unless defined $ok;
        $r{sent} += $count // 1;
        $r{by}{"HTTP/1.x $name"} += $count // 1;
        if (!$ok) {
            $r{unexpected}++;
            push @{ $r{examples} }, "HTTP/1.x $name: $what" if @{ $r{examples} } < 5;
        }
        $c = undef unless $ok && $keep && $keepalive;
    }
    return %r;
}

sub conn {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5) or return undef;
    binmode $s;
    return { s => $s, buf => '' };
}

sub head {
    my ($method, $path, $lines, $close, $proto) = @_;
    my $h = "$method $path " . ($proto // 'HTTP/1.1') . "\r\nHost: 127.0.0.1\r\n";
    $h .= "$_\r\n" for @$lines, $close ? 'Connection: close' : ();
    return "$h\r\n";
}

sub sendb {
    my ($c, $data) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($c->{s}, $data, length($data) - $off, $off);
        return 0 unless $n;
        $off += $n;
    }
    return 1;
}

sub fill {
    my ($c, $deadline) = @_;
    my $left = $deadline - time;
    return 0 if $left <= 0 || !IO::Select->new($c->{s})->can_read($left);
    my $n = sysread($c->{s}, my $chunk, 65536);
    return 0 unless $n;
    $c->{buf} .= $chunk;
    return 1;
}

# One response, interim or final, within $timeout seconds (default 5).
sub rd {
    my ($c, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    until ($c->{buf} =~ /\r\n\r\n/) {
        return undef unless fill($c, $deadline);
    }
    $c->{buf} =~ s/^(.*?)\r\n\r\n//s;
    my ($line, @lines) = split /\r\n/, $1;
    my ($status) = $line =~ m{^HTTP/1\.\d (\d{3})} or return undef;
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        $h{lc $k} = $v;
    }
    my $r = { status => $status, headers => \%h, body => '' };
    return $r if $status < 200;
    if (defined $h{'content-length'}) {
        while (length $c->{buf} < $h{'content-length'}) {
            return undef unless fill($c, $deadline);
        }
        $r->{body} = substr($c->{buf}, 0, $h{'content-length'}, '');
    }
    elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        for (;;) {
            my ($size_line, $size);
            until (($size_line, $size) = $c->{buf} =~ /^(([0-9a-fA-F]+)[^\r\n]*\r\n)/) {
                return undef unless fill($c, $deadline);
            }
            my $need = length($size_line) + hex($size) + 2;
            while (length $c->{buf} < $need) {
                return undef unless fill($c, $deadline);
            }
            $r->{body} .= substr($c->{buf}, length $size_line, hex $size);
            substr($c->{buf}, 0, $need) = '';
            last unless hex $size;
        }
    }
    else {
        1 while fill($c, $deadline);
        $r->{body} = $c->{buf};
        $c->{buf} = '';
    }
    $r->{close} = ($h{connection} // '') =~ /close/i;
    return $r;
}

sub eof_within {
    my ($c) = @_;
    my $deadline = time + 3;
    while (IO::Select->new($c->{s})->can_read($deadline - time)) {
        my $n = sysread($c->{s}, my $chunk, 65536);
        return 1 unless $n;
        return 0 if time > $deadline;
    }
    return 0;
}

sub status { $_[0] ? $_[0]{status} : 'no response' }

# Is $r the final response wanted?  (ok, keep, what)
sub final {
    my ($r, $want, $want_body) = @_;
    return (0, 0, status($r) . " instead of $want") unless $r && $r->{status} == $want;
    return (0, 0, "wrong body: $r->{body}")
        if defined $want_body && $r->{body} ne $want_body;
    return (1, !$r->{close}, '');
}

# --- HTTP/2 ------------------------------------------------------------------------
sub find_h2load {
    my $bin = '/usr/bin/h2load';
    return $bin if -x $bin;
    if ($root) {
        print "soak: installing nghttp2-client for h2load\n";
        system('apt-get install -y -q nghttp2-client >/dev/null 2>&1') == 0
            or system('apt-get update -q >/dev/null 2>&1 && '
                      . 'apt-get install -y -q nghttp2-client >/dev/null 2>&1');
        return $bin if -x $bin;
    }
    print "soak: no h2load (apt-get install nghttp2-client): HTTP/2 from "
        . "t/h2client.py only\n";
    return undef;
}

sub h2load_driver {
    my ($deadline, $cap) = @_;
    my %r = (sent => 0, unexpected => 0, by => {}, examples => []);
    my $data = "$dir/h2load.body";
    write_file($data, $body) unless -f $data;
    my @runs = (
        [ met       => '/up',      '100-continue',        '2xx' ],
        [ refused   => '/none',    '100-continue',        '4xx' ],
        [ unknown   => '/up',      '100-continue, x-foo', '4xx' ],
        [ lenient   => '/lenient', 'x-foo, 100-continue', '2xx' ],
        [ extension => '/ext',     'x-foo, x-bar=1',      '2xx' ],
        [ malformed => '/up',      '100-continue x',      '4xx' ],
    );
    my $i = 0;
    while (time < $deadline && $r{sent} < $cap) {
        my ($name, $path, $expect, $class) = @{ $runs[$i++ % @runs] };
        my $n = 500;
        my $out = '';
        if (open my $fh, '-|', 'timeout', '60', $h2load, '-n', $n, '-c', 2,
                 '-m', 8, '-t', 1, '-H', "expect: $expect", '-d', $data,
                 "http://127.0.0.1:$port$path") {
            local $/;
            $out = <$fh> // '';
            close $fh;
        }
        my %codes = reverse $out =~ /(\d+) ([2-5]xx)/g;
        my $good = $codes{$class} // 0;
        $r{sent} += $n;
        $r{by}{"HTTP/2 h2load $name"} += $n;
        if ($good != $n) {
            $r{unexpected} += $n - $good;
            my ($summary) = $out =~ /(requests: [^\n]*\n[^\n]*status codes: [^\n]*)/;
            push @{ $r{examples} }, "HTTP/2 h2load $name: " . ($summary // $out)
                if @{ $r{examples} } < 5;
        }
    }
    return %r;
}

sub h2client_driver {
    my ($deadline, $cap) = @_;
    my %r = (sent => 0, unexpected => 0, by => {}, examples => []);
    my @streams = (
        [ 'met, waits'    => { path => '/cgi/echo', headers => [[expect => '100-continue']] },
          '100 200' ],
        [ 'refused'       => { path => '/none', headers => [[expect => '100-continue']] },
          '417' ],
        [ 'unknown'       => { path => '/up', headers => [[expect => 'x-foo, 100-continue']] },
          '417' ],
        [ 'lenient, waits' => { path => '/cgi/lenient',
                                headers => [[expect => 'x-foo'], [expect => '100-continue']] },
          '100 200' ],
        [ 'refused, eager' => { path => '/none', eager => JSON_true(),
                                headers => [[expect => '100-continue']] },
          '417' ],
    );
    while (time < $deadline && $r{sent} < $cap) {
        my @reqs = map { { method => 'POST', body => "$_->[0] body", %{ $_->[1] } } }
                   @streams, @streams;
        my @res = h2client_run(@reqs);
        for my $j (0 .. $#reqs) {
            my ($name, undef, $want) = @{ $streams[$j % @streams] };
            my $res = $res[$j] // {};
            my $got = join ' ', @{ $res->{interim} // [] }, $res->{status} // 'none';
            my $ok = $got eq $want;
            $ok &&= $res->{body} eq "$name body" if $want =~ /200/;
            $r{sent}++;
            $r{by}{"HTTP/2 h2client $name"}++;
            if (!$ok) {
                $r{unexpected}++;
                push @{ $r{examples} }, "HTTP/2 h2client $name: $got"
                    if @{ $r{examples} } < 5;
            }
        }
    }
    return %r;
}

sub h2client_run {
    require IPC::Open2;
    require JSON::PP;
    my $pid = IPC::Open2::open2(my $out, my $in, $python, "$top/t/h2client.py",
                                $port, 10);
    print $in JSON::PP::encode_json(\@_);
    close $in;
    local $/;
    my $json = <$out>;
    waitpid $pid, 0;
    my $res = eval { JSON::PP::decode_json($json || '[]') };
    return ref $res eq 'ARRAY' ? @$res : ();
}

sub JSON_true { require JSON::PP; JSON::PP::true() }

# --- processes, memory, files ---------------------------------------------------
# The children of apache2's parent: pid => VmRSS in kB.
sub children_rss {
    my %rss;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $s = slurp($stat) // next;
        my ($pid, $ppid) = $s =~ /^(\d+) \(.*\) \S (\d+) /s or next;
        next unless $ppid == $httpd_pid;
        my ($kb) = (slurp("/proc/$pid/status") // '') =~ /^VmRSS:\s+(\d+) kB/m;
        $rss{$pid} = $kb // 0;
    }
    return %rss;
}

sub sum_rss {
    my %rss = children_rss();
    my $sum = 0;
    $sum += $_ for values %rss;
    return $sum;
}

sub wait_for_server {
    my $deadline = time + 15;
    while (time < $deadline) {
        return 0 if waitpid($httpd_pid, WNOHANG) == $httpd_pid;
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                      Proto => 'tcp', Timeout => 1);
        return 1 if $s;
        sleep 0.1;
    }
    return 0;
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    return $s->sockport;
}

sub stop_all {
    kill 'TERM', (map { -$_ } @drivers), @drivers if @drivers;
    waitpid $_, 0 for @drivers;
    @drivers = ();
    if ($httpd_pid && kill 0, $httpd_pid) {
        kill 'TERM', $httpd_pid;
        my $deadline = time + 10;
        while (time < $deadline && waitpid($httpd_pid, WNOHANG) == 0) {
            sleep 0.1;
        }
        if (kill 0, $httpd_pid) {
            kill 'KILL', $httpd_pid;
            waitpid $httpd_pid, 0;
        }
    }
    $httpd_pid = undef;
    remove_tree($dir) if $dir && -d $dir && !$ENV{KEEP};
}

sub fail_now {
    print STDERR "soak: $_[0]\n";
    exit 1;
}

sub slurp {
    open my $fh, '<', $_[0] or return undef;
    local $/;
    return scalar <$fh>;
}

sub write_file {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $text;
    close $fh;
}
