#!/usr/bin/perl
# mod_expect benchmarks: stock Debian apache2 against apache2 with
# mod_expect loaded, side by side in one run, and, for the instructions a
# request costs, against the floor: apache2 with bench/mod_floor.c, a
# filter that takes over the reading of the header block and does nothing
# else.  `make -f Makefile.apxs bench` runs this; bench/RESULTS.md tells
# what each figure means.
#
#   perl bench/run.pl [--quick] [--keep] [--only 1,3,...]
#
# --keep leaves the run directory (configs, logs, callgrind files).  The
# environment can change the sizes: BENCH_PAIRS and BENCH_SECS (rows 1 and
# 2), BENCH_CONNS, BENCH_CG_KINDS (get,get30,post) and BENCH_CG_RUNS
# (row 3), BENCH_MODULE (another build of the module), BENCH_FLOOR (of the
# floor), APACHE2.
#
# Every server uses bench/httpd.conf; the module's gets -DBENCH_EXPECT and
# the floor's -DBENCH_FLOOR, which add a LoadModule line, and nothing else
# differs.  Every server started
# here listens on 127.0.0.1 only and is stopped when this script ends, however
# it ends.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Getopt::Long;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

my $BENCH = dirname(abs_path($0));
my $TOP = dirname($BENCH);
my $APACHE2 = $ENV{APACHE2} || '/usr/sbin/apache2';
my $MODULE = $ENV{BENCH_MODULE} || "$TOP/.libs/mod_expect.so";
my $FLOOR = $ENV{BENCH_FLOOR} || "$BENCH/.libs/mod_floor.so";
my $PARSE_BENCH = $ENV{PARSE_BENCH} || "$BENCH/parse_bench";

my $quick = 0;
my $keep = 0;
my $only = '1,2,3,4,5,6';
GetOptions('quick' => \$quick, 'only=s' => \$only, 'keep' => \$keep)
    or die "usage: $0 [--quick] [--keep] [--only 1,2,3,4,5,6]\n";
my %only = map { $_ => 1 } split /,/, $only;

# Throughput: this many A/B pairs of this many seconds each.
my $PAIRS = $ENV{BENCH_PAIRS} || ($quick ? 4 : 10);
my $SECS = $ENV{BENCH_SECS} || ($quick ? 1 : 2);
my $CONNS = $ENV{BENCH_CONNS} || 16;
# Instructions per request: requests on the short and the long connection.
my ($N1, $N2) = $quick ? (20, 120) : (50, 450);

die "$MODULE is missing: build it first (make -f Makefile.apxs)\n"
    unless -f $MODULE;
die "$FLOOR is missing: make -f Makefile.apxs bench builds it\n"
    if $only{3} && !-f $FLOOR;
-x $APACHE2 or die "$APACHE2 is missing\n";

my $root = $> == 0;
my $cpus = `nproc` + 0 || 1;
# With two cores or more, the server gets core 0 and the load generator the
# last one, so the server is what runs out of CPU.
my @pin_server = $cpus >= 2 && has('taskset') ? ('taskset', '-c', '0') : ();
my @pin_client = $cpus >= 2 && has('taskset')
    ? ('taskset', '-c', $cpus - 1) : ();

my $RUN = tempdir('mod_expect-bench.XXXXXX', TMPDIR => 1, CLEANUP => !$keep);
print "keeping $RUN\n" if $keep;
chmod 0755, $RUN;
mkdir "$RUN/htdocs";
mkdir "$RUN/cg";
chmod 0777, "$RUN/cg";           # callgrind writes as the server's user

# A small static file (1 KB) and the bodies.
write_file("$RUN/htdocs/small.txt", ('x' x 63 . "\n") x 16);
my $SMALL_BODY = 'a small request body, 64 bytes long, for the reflector..........';
die "body length" unless length($SMALL_BODY) == 64;
write_file("$RUN/small-body", $SMALL_BODY);

# Ten header lines a browser sends with a GET (Host is the tenth; wrk and
# h2load add their own Host line).
my @BROWSER = (
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
    'Accept-Language: en-US,en;q=0.5',
    'Accept-Encoding: gzip, deflate, br',
    'Referer: http://127.0.0.1/index.html',
    'Cookie: session=6f1c2e0a9b7d4c35; theme=dark; _ga=GA1.1.1234567890.1700000000',
    'Upgrade-Insecure-Requests: 1',
    'Sec-Fetch-Dest: document',
    'Sec-Fetch-Mode: navigate',
);
# Thirty, as a browser sends to a site that has set many cookies: the ten
# above, client hints, and six Cookie lines of about 700 bytes each.
my @BROWSER30 = (
    @BROWSER,
    'Sec-Fetch-Site: same-origin',
    'Sec-Fetch-User: ?1',
    'Sec-CH-UA: "Chromium";v="128", "Not;A=Brand";v="24", "Google Chrome";v="128"',
    'Sec-CH-UA-Mobile: ?0',
    'Sec-CH-UA-Platform: "Linux"',
    'Sec-CH-UA-Arch: "x86"',
    'Priority: u=0, i',
    'DNT: 1',
    'Pragma: no-cache',
    'Cache-Control: no-cache',
    'If-None-Match: "400-61f5e2a3b8c40"',
    'If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT',
    'X-Requested-With: XMLHttpRequest',
    'X-Forwarded-Proto: https',
    (map { my $c = $_;
           "Cookie: " . join('; ', map { "c${c}k$_=" . ('6f1c2e0a9b7d4c35' x 2) }
                                   1 .. 17) } 1 .. 6),
);
die "thirty lines" unless @BROWSER30 == 29;
my @POST_HEADERS = (
    'User-Agent: curl/7.88.1',
    'Accept: */*',
    'Content-Type: application/octet-stream',
    'Expect: 100-continue',
);

# The servers row 3 compares: every one is apache2 -X with bench/httpd.conf.
my @VARIANTS = (
    [stock  => {}],
    [floor  => { floor => 1 }],
    [module => { module => 1 }],
);

# The requests row 3 measures.
my %CG_KIND = (
    get   => 'GET, 10 header lines',
    get30 => 'GET, 30 header lines, 6 large cookies',
    post  => 'POST, Expect: 100-continue',
);

# What both servers refuse: core anything but exactly "100-continue", the
# module (no directive) anything but 100-continue.  Clients that honour
# 100-continue (curl among them) wait for the 100 before the body.
my $REFUSED = 'Expect: 100-continue, x-foo';

my %children;                    # pid => what, for the servers started here
my @rows;                        # the table

$SIG{INT} = $SIG{TERM} = sub { exit 1 };
$SIG{PIPE} = 'IGNORE';
END {
    my $status = $?;
    stop_all();
    $? = $status;
}

my ($LOAD) = split ' ', read_file('/proc/loadavg');
print "mod_expect benchmark: ", machine_line(), "\n";
print "load average $LOAD at the start", $LOAD > 0.5
    ? ": other work is running, so times and rates are noisier\n" : "\n";
print "(stock = Debian apache2; module = the same with mod_expect loaded)\n\n";

bench_throughput() if $only{1} || $only{2};
bench_instructions() if $only{3};
bench_refusal_time() if $only{4};
bench_refused_upload() if $only{5};
bench_parser() if $only{6};

print_table();
exit 0;


# ---- helpers ------------------------------------------------------------

sub has
{
    my ($cmd) = @_;
    return system("command -v $cmd >/dev/null 2>&1") == 0;
}

sub write_file
{
    my ($path, $data) = @_;
    open my $fh, '>', $path or die "$path: $!\n";
    binmode $fh;
    print $fh $data;
    close $fh or die "$path: $!\n";
    chmod 0644, $path;
}

sub read_file
{
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return scalar <$fh>;
}

sub median
{
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

# The quartiles of a list, for the spread of the A/B ratios.
sub quartiles
{
    my @v = sort { $a <=> $b } @_;
    my $q = sub {
        my $pos = $_[0] * $#v;
        my $lo = int($pos);
        return $v[$lo] + ($pos - $lo) * (($v[$lo + 1] // $v[$lo]) - $v[$lo]);
    };
    return ($q->(0.25), $q->(0.75));
}

sub free_port
{
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "no free port: $!\n";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub machine_line
{
    my $cpu = (grep { /^model name/ } split /\n/, read_file('/proc/cpuinfo'))[0]
        // 'unknown CPU';
    $cpu =~ s/^model name\s*:\s*//;
    my ($mem) = read_file('/proc/meminfo') =~ /MemTotal:\s+(\d+)/;
    my $deb = read_file('/etc/debian_version');
    chomp $deb;
    my ($ver) = `$APACHE2 -v` =~ m{Apache/(\S+)};
    return sprintf "%d CPU(s), %s, %.1f GiB, Debian %s, httpd %s",
        $cpus, $cpu, ($mem // 0) / 1048576, $deb || '?', $ver // '?';
}

# ---- servers ------------------------------------------------------------

# Start apache2 in the foreground with bench/httpd.conf.  $name names its
# files; @defines are -D names.  @wrap runs it under another command
# (valgrind, taskset).
sub start_server
{
    my (%o) = @_;
    my $name = $o{name};
    my @defines = @{ $o{defines} || [] };
    push @defines, 'BENCH_EXPECT' if $o{module};
    push @defines, 'BENCH_FLOOR' if $o{floor};
    push @defines, 'BENCH_ROOT' if $root;
    my @cmd = (@{ $o{wrap} || [] }, $APACHE2, '-f', "$BENCH/httpd.conf",
               '-DFOREGROUND', map { "-D$_" } @defines);
    push @cmd, '-X' if $o{single};
    unlink "$RUN/$name.error_log", "$RUN/$name.access_log";
    my $pid = fork();
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        $ENV{BENCH_RUN} = $RUN;
        $ENV{BENCH_PORT} = $o{port};
        $ENV{BENCH_NAME} = $name;
        $ENV{BENCH_MODULE} = $MODULE;
        $ENV{BENCH_FLOOR} = $FLOOR;
        open STDOUT, '>>', "$RUN/$name.out";
        open STDERR, '>&', \*STDOUT;
        exec @cmd or die "exec $cmd[0]: $!\n";
    }
    $children{$pid} = $name;
    return $pid;
}

sub wait_listening
{
    my ($port, $pid, $limit) = @_;
    my $until = time + $limit;
    while (time < $until) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp');
        if ($s) {
            close $s;
            return 1;
        }
        if (waitpid($pid, WNOHANG) == $pid) {
            my $name = delete $children{$pid};
            die "the server $name exited at start:\n"
                . read_file("$RUN/$name.out")
                . read_file("$RUN/$name.error_log");
        }
        sleep 0.05;
    }
    die "the server on port $port did not start in ${limit}s\n";
}

sub stop_server
{
    my ($pid, $limit) = @_;
    return unless $children{$pid};
    kill 'TERM', $pid;
    my $until = time + ($limit || 30);
    while (time < $until) {
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $children{$pid};
            return;
        }
        sleep 0.05;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
    delete $children{$pid};
}

sub stop_all
{
    for my $pid (keys %children) {
        stop_server($pid, 10);
    }
}

# ---- an HTTP/1.1 client on one keep-alive connection ----------------------

sub connect_retry
{
    my ($port, $limit) = @_;
    my $until = time + $limit;
    while (time < $until) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp');
        if ($s) {
            $s->autoflush(1);
            setsockopt($s, 6, 1, 1);    # TCP_NODELAY
            return { sock => $s, buf => '' };
        }
        sleep 0.1;
    }
    die "cannot connect to 127.0.0.1:$port\n";
}

sub fill
{
    my ($c) = @_;
    my $n = sysread($c->{sock}, $c->{buf}, 65536, length $c->{buf});
    die "connection closed by the server\n" unless $n;
}

# Read one response (an interim one too); returns its status code.
sub read_response
{
    my ($c) = @_;
    my $end;
    fill($c) while ($end = index($c->{buf}, "\r\n\r\n")) < 0;
    my $head = substr($c->{buf}, 0, $end + 4, '');
    $c->{head_at} = time;
    my ($status) = $head =~ m{^HTTP/1\.\d (\d{3})} or die "bad response\n";
    return $status if $status < 200;
    if ($head =~ /^Content-Length:\s*(\d+)/mi) {
        my $len = $1;
        fill($c) while length $c->{buf} < $len;
        substr($c->{buf}, 0, $len, '');
    }
    elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
        for (;;) {
            my $eol;
            fill($c) while ($eol = index($c->{buf}, "\r\n")) < 0;
            my $size = hex substr($c->{buf}, 0, $eol);
            fill($c) while length $c->{buf} < $eol + 2 + $size + 2;
            substr($c->{buf}, 0, $eol + 2 + $size + 2, '');
            last if $size == 0;
        }
    }
    return $status;
}

sub request_head
{
    my ($method, $path, $port, @lines) = @_;
    return join("\r\n", "$method $path HTTP/1.1", "Host: 127.0.0.1:$port",
                @lines) . "\r\n\r\n";
}

# $n requests one after another on one connection, each sent only after
# the previous response has come (and a pause, so that the server is
# always found waiting: the same code path for every request).
sub session
{
    my ($port, $n, $kind, $limit) = @_;
    my $c = connect_retry($port, $limit);
    my $get = request_head('GET', '/small.txt', $port,
                           $kind eq 'get30' ? @BROWSER30 : @BROWSER);
    my $post = request_head('POST', '/echo', $port, @POST_HEADERS,
                            'Content-Length: ' . length $SMALL_BODY);
    for (1 .. $n) {
        if ($kind ne 'post') {
            syswrite $c->{sock}, $get;
            read_response($c) == 200 or die "GET: not 200\n";
        }
        else {
            syswrite $c->{sock}, $post;
            read_response($c) == 100 or die "POST: no 100 Continue\n";
            syswrite $c->{sock}, $SMALL_BODY;
            read_response($c) == 200 or die "POST: not 200\n";
        }
        sleep 0.002;
    }
    close $c->{sock};
}

# ---- the table ----------------------------------------------------------

sub row
{
    my (%r) = @_;
    push @rows, \%r;
    printf "  %-44s stock %-12s%s module %-12s %s\n", $r{what}, $r{stock},
        defined $r{floor} ? " floor $r{floor}" : '', $r{module},
        $r{ratio} // '';
}

sub print_table
{
    # The floor (row 3) has a column of its own.
    my @head = ('#', 'measure', 'stock', 'floor', 'mod_expect',
                'module/stock', 'target', 'held');
    my @lines = map {
        [ $_->{n}, $_->{what}, $_->{stock}, $_->{floor} // '', $_->{module},
          $_->{ratio} // '', $_->{target} // '', $_->{held} // '' ]
    } @rows;
    my @w = map { length $_ } @head;
    for my $l (@lines) {
        $w[$_] = length $l->[$_] > $w[$_] ? length $l->[$_] : $w[$_]
            for 0 .. $#head;
    }
    my $fmt = '| ' . join(' | ', map { "%-${_}s" } @w) . " |\n";
    print "\n";
    printf $fmt, @head;
    print '|', join('|', map { '-' x ($_ + 2) } @w), "|\n";
    printf $fmt, @$_ for @lines;
    print "\n", machine_line(), "; load average $LOAD at the start\n";
}

# ---- 3: instructions per request ------------------------------------------

# Total instructions of apache2 -X under callgrind, for $n requests of
# $kind on one connection.
sub callgrind_total
{
    my ($variant, $kind, $n, $tag) = @_;
    my $port = free_port();
    my $name = "$variant-cg-$kind-$n-$tag";
    my $out = "$RUN/cg/$name.out";
    my %with = map { @$_ } @VARIANTS;
    # valgrind creates it while root, the server's user writes it at exit.
    write_file($out, '');
    chmod 0666, $out;
    my $pid = start_server(
        name => $name, port => $port, single => 1, %{ $with{$variant} },
        defines => ['BENCH_PREFORK'],
        wrap => ['valgrind', '--tool=callgrind', '-q', '--vgdb=no',
                 "--callgrind-out-file=$out"]);
    session($port, $n, $kind, 120);
    stop_server($pid, 120);
    my ($ir) = read_file($out) =~ /^(?:summary|totals):\s*(\d+)/m
        or die "no callgrind totals in $out\n" . read_file("$RUN/$name.out");
    return ($ir, $out);
}

sub bench_instructions
{
    my $runs = $ENV{BENCH_CG_RUNS} || 1;
    print "3. instructions per request: callgrind on apache2 -X (prefork),\n"
        . "   ($N2 requests - $N1 requests) / ", $N2 - $N1,
        " on one keep-alive connection", $runs > 1 ? ", run $runs times" : '',
        "\n   floor = bench/mod_floor.c, a filter that takes over the reading"
        . " of the header\n   block and does nothing else\n";
    for my $kind (split /,/, $ENV{BENCH_CG_KINDS} || 'get,get30,post') {
        die "unknown kind $kind\n" unless $CG_KIND{$kind};
        my (%per, %files);
        for my $tag (1 .. $runs) {
            for my $variant (map { $_->[0] } @VARIANTS) {
                my ($i1, $f1) = callgrind_total($variant, $kind, $N1, $tag);
                my ($i2, $f2) = callgrind_total($variant, $kind, $N2, $tag);
                push @{ $per{$variant} }, ($i2 - $i1) / ($N2 - $N1);
                $files{$variant} = [$f1, $f2];
            }
            printf "   %-5s run %d: stock %.0f, floor %.0f, module %.0f "
                . "instr/request\n", $kind, $tag,
                map { $per{$_}[-1] } qw(stock floor module);
        }
        my %m = map { $_ => median(@{ $per{$_} }) } qw(stock floor module);
        my ($floor, $mod) = ($m{floor} - $m{stock}, $m{module} - $m{stock});
        my $times = $floor > 0 ? $mod / $floor : 0;
        for my $over ([floor => 'stock'], [module => 'floor']) {
            my ($own, $other, @top) = breakdown($files{$over->[0]},
                                                $files{$over->[1]}, 12);
            printf "   where %s's extra instructions go (%s, per request, self"
                . " cost over %s;\n   * marks the module's own code): %.0f in"
                . " the module, %.0f in httpd, APR and libc\n",
                $over->[0], $kind, $over->[1], $own, $other;
            printf "     %8.1f  %s\n", $_->[1], $_->[0] for @top;
        }
        # The bounds of docs/performance.md (issue 27): a GET without Expect
        # at most 1.3 times the floor's cost, the POST with 100-continue at
        # most 10 % over stock.
        my (@target, @held);
        if ($kind ne 'post') {
            push @target, '<= 1.3 x floor';
            push @held, $mod <= 1.3 * $floor ? 'yes' : 'no';
        }
        else {
            push @target, '<= +10 %';
            push @held, $m{module} <= 1.10 * $m{stock} ? 'yes' : 'no';
        }
        row(n => 3, what => "instr/request: $CG_KIND{$kind}",
            stock => sprintf('%.0f', $m{stock}),
            floor => sprintf('%.0f (%+.0f)', $m{floor}, $floor),
            module => sprintf('%.0f (%+.0f)', $m{module}, $mod),
            ratio => sprintf('%+.2f%%, %.2f x floor',
                             ($m{module} / $m{stock} - 1) * 100, $times),
            target => join(', ', @target), held => join(', ', @held));
    }
}

# Self cost of each function in a callgrind file: name => Ir.
sub callgrind_functions
{
    my ($file) = @_;
    my (%cost, %mine);
    open my $fh, '-|', "callgrind_annotate --threshold=100 --show-percs=no "
        . "'$file' 2>/dev/null" or die "callgrind_annotate: $!\n";
    while (<$fh>) {
        next unless /^\s*([\d,]+)\s+(\S.*)$/;
        my ($ir, $where) = ($1, $2);
        my $in_module = $where =~ /mod_(?:expect|floor)\.so\]$/;
        $where =~ s/ \[.*\]$//;
        my ($fn) = $where =~ /:([^:]+)$/ or next;
        $fn =~ s/'\d+$//;               # recursion levels are one function
        $fn =~ s/\.(constprop|isra|part)\.\d+$//;
        $ir =~ tr/,//d;
        $cost{$fn} += $ir;
        $mine{$fn} = 1 if $in_module;
    }
    close $fh;
    # The module's own code is marked with a *.
    return { map { (($mine{$_} ? "*$_" : $_) => $cost{$_}) } keys %cost };
}

# Per request, where one server's instructions go over another's: the self
# cost of each function, from the same N1/N2 difference.
sub breakdown
{
    my ($files, $base_files, $top) = @_;
    my @per;
    for my $f ($base_files, $files) {
        my ($c1, $c2) = (callgrind_functions($f->[0]),
                         callgrind_functions($f->[1]));
        my %p;
        for my $fn (keys %$c1, keys %$c2) {
            $p{$fn} = (($c2->{$fn} // 0) - ($c1->{$fn} // 0)) / ($N2 - $N1);
        }
        push @per, \%p;
    }
    my %diff;
    for my $fn (keys %{ $per[0] }, keys %{ $per[1] }) {
        $diff{$fn} = ($per[1]{$fn} // 0) - ($per[0]{$fn} // 0);
    }
    my @fns = grep { abs($diff{$_}) >= 0.5 }
        sort { $diff{$b} <=> $diff{$a} } keys %diff;
    my ($own, $other) = (0, 0);
    for (@fns) {
        if (/^\*/) { $own += $diff{$_} } else { $other += $diff{$_} }
    }
    @fns = @fns[0 .. $top - 1] if @fns > $top;
    return ($own, $other, map { [$_, $diff{$_}] } @fns);
}

# ---- 1 and 2: throughput and latency ---------------------------------------

# CPU time (user + system, in seconds) of a server: its parent process and
# the children it forked.
sub server_cpu
{
    my ($pid) = @_;
    my $hz = 100;               # USER_HZ, what /proc/PID/stat counts in
    my $sum = 0;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $line = read_file($stat) or next;
        $line =~ s/^.*\) //s;   # past the command name
        my @f = split ' ', $line;
        # @f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
        my ($p) = $stat =~ m{/proc/(\d+)/};
        next unless $p == $pid || $f[1] == $pid;
        $sum += $f[11] + $f[12];
    }
    return $sum / $hz;
}

# One load run against a port: (requests/s, latency in ms, server CPU
# seconds per request).
sub load_run
{
    my ($kind, $port, $secs, $server) = @_;
    my @cmd;
    if ($kind eq 'get') {
        @cmd = ('wrk', '-t1', "-c$CONNS", "-d${secs}s", '--latency',
                (map { ('-H', $_) } @BROWSER),
                "http://127.0.0.1:$port/small.txt");
    }
    else {
        # wrk would count the interim 100 as a response; h2load skips it.
        @cmd = ('h2load', '--h1', '-t1', "-c$CONNS", '-D', $secs,
                '-d', "$RUN/small-body",
                (map { ('-H', $_) } @POST_HEADERS),
                "http://127.0.0.1:$port/echo");
    }
    my $cpu0 = server_cpu($server);
    open my $fh, '-|', @pin_client, @cmd or die "$cmd[0]: $!\n";
    my $out = do { local $/; <$fh> };
    close $fh;
    my $cpu = server_cpu($server) - $cpu0;
    my ($rps, $lat, $n);
    if ($kind eq 'get') {
        ($rps) = $out =~ /^Requests\/sec:\s+([\d.]+)/m;
        ($n) = $out =~ /^\s*(\d+) requests in/m;
        my ($v, $unit) = $out =~ /^\s+50%\s+([\d.]+)(us|ms|s)\b/m;
        $lat = defined $v ? $v * { us => 0.001, ms => 1, s => 1000 }->{$unit}
                          : undef;
        die "wrk failed:\n$out\n" if $out =~ /Non-2xx/ || !defined $rps;
    }
    else {
        ($rps) = $out =~ /finished in [\d.]+\w+, ([\d.]+) req\/s/;
        ($n) = $out =~ /(\d+) succeeded/;
        my ($v, $unit) = $out =~
            /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\b/;
        $lat = defined $v ? $v * { us => 0.001, ms => 1, s => 1000 }->{$unit}
                          : undef;
        die "h2load failed:\n$out\n"
            if !defined $rps || $out !~ /status codes: \d+ 2xx, 0 3xx, 0 4xx, 0 5xx/;
    }
    return ($rps, $lat, $n ? $cpu / $n : 0);
}

sub fmt_ms
{
    my ($ms) = @_;
    return sprintf($ms < 1 ? '%.0f us' : '%.2f ms', $ms < 1 ? $ms * 1000 : $ms);
}

sub bench_throughput
{
    my %port = (0 => free_port(), 1 => free_port());
    my %pid;
    for my $module (0, 1) {
        $pid{$module} = start_server(
            name => $module ? 'module' : 'stock', port => $port{$module},
            module => $module, wrap => \@pin_server);
    }
    wait_listening($port{$_}, $pid{$_}, 20) for 0, 1;

    my @kinds = grep { $only{$_->[0]} } ([1, 'get'], [2, 'post']);
    for my $k (@kinds) {
        my ($n, $kind) = @$k;
        printf "%d. %s: %d A/B pairs of %ds, %d connections%s\n", $n,
            $kind eq 'get'
                ? 'keep-alive GET of a 1 KB file, no Expect (wrk)'
                : 'keep-alive POST of 64 bytes, Expect: 100-continue, '
                  . 'to mod_reflector (h2load)',
            $PAIRS, $SECS, $CONNS,
            @pin_server ? ', server on CPU 0, client on the last CPU' : '';
        # Warm both up, then alternate: stock-module, module-stock, ...
        load_run($kind, $port{$_}, 1, $pid{$_}) for 0, 1;
        my (%rps, %lat, %cpu, @ratio);
        for my $i (1 .. $PAIRS) {
            my @order = $i % 2 ? (0, 1) : (1, 0);
            my %this;
            for my $module (@order) {
                my ($r, $l, $c) = load_run($kind, $port{$module}, $SECS,
                                           $pid{$module});
                push @{ $rps{$module} }, $r;
                push @{ $lat{$module} }, $l;
                push @{ $cpu{$module} }, $c * 1e6;
                $this{$module} = $r;
            }
            push @ratio, $this{1} / $this{0};
            printf "   pair %2d: stock %8.0f req/s %5.1f us CPU/req  module "
                . "%8.0f req/s %5.1f us CPU/req  ratio %.3f\n", $i, $this{0},
                $cpu{0}[-1], $this{1}, $cpu{1}[-1], $ratio[-1];
        }
        my ($q1, $q3) = quartiles(@ratio);
        my $ratio = median(@{ $rps{1} }) / median(@{ $rps{0} });
        row(n => $n, what => ($kind eq 'get' ? 'GET' : 'POST 100-continue')
                . ' requests/s (median)',
            stock => sprintf('%.0f', median(@{ $rps{0} })),
            module => sprintf('%.0f', median(@{ $rps{1} })),
            ratio => sprintf('%.3f (pairs: %.3f-%.3f)', $ratio, $q1, $q3),
            target => '>= 0.97',
            # Only a spread of pair ratios clear of the target decides.
            held => $q1 >= 0.97 ? 'yes' : $q3 < 0.97 ? 'no' : 'within noise');
        my $lr = median(@{ $lat{1} }) / median(@{ $lat{0} });
        row(n => $n, what => ($kind eq 'get' ? 'GET latency p50'
                                             : 'POST latency mean')
                . ' (median)',
            stock => fmt_ms(median(@{ $lat{0} })),
            module => fmt_ms(median(@{ $lat{1} })),
            ratio => sprintf('%.3f', $lr));
        my ($cs, $cm) = (median(@{ $cpu{0} }), median(@{ $cpu{1} }));
        row(n => $n, what => ($kind eq 'get' ? 'GET' : 'POST')
                . ' server CPU time/request (median)',
            stock => sprintf('%.1f us', $cs), module => sprintf('%.1f us', $cm),
            ratio => sprintf('%.3f', $cm / $cs));
    }
    stop_server($pid{$_}) for 0, 1;
}

# ---- 4 and 5: a refused expectation ----------------------------------------


# curl's timings and counts for one refused upload.
sub curl_refused
{
    my ($port, $body, $timer) = @_;
    open my $fh, '-|', 'curl', '-s', '-o', '/dev/null', '-H', $REFUSED,
        '--expect100-timeout', $timer, '--data-binary', "\@$body",
        '-w', '%{http_code} %{time_pretransfer} %{time_starttransfer} '
        . '%{size_request} %{size_upload}', "http://127.0.0.1:$port/echo"
        or die "curl: $!\n";
    my $out = do { local $/; <$fh> };
    close $fh;
    my ($code, $pre, $start, $req, $up) = split ' ', $out;
    die "curl: expected 417, got '$out'\n" unless ($code // '') eq '417';
    return { wait_ms => ($start - $pre) * 1000, head => $req, sent => $up };
}

sub start_log_servers
{
    my %port = (0 => free_port(), 1 => free_port());
    my %pid;
    for my $module (0, 1) {
        $pid{$module} = start_server(
            name => ($module ? 'module' : 'stock') . '-log',
            port => $port{$module}, module => $module,
            defines => ['BENCH_LOG']);
    }
    wait_listening($port{$_}, $pid{$_}, 20) for 0, 1;
    return (\%port, \%pid);
}

# A client that honours 100-continue with a timer of $timer seconds: it
# sends the head, waits for an answer, and sends the body only when the
# timer fires (or a 100 comes).  Returns ms from the head to the final
# status line.
sub refusal_wait
{
    my ($port, $timer) = @_;
    my $c = connect_retry($port, 10);
    my $body = 'b' x 1024;
    my $sel = IO::Select->new($c->{sock});
    my $t0 = time;
    syswrite $c->{sock}, request_head('POST', '/echo', $port,
                                      'User-Agent: bench', $REFUSED,
                                      'Content-Length: ' . length $body);
    my $sent = 0;
    for (;;) {
        if (!$sent && !length $c->{buf}) {
            my $left = $t0 + $timer - time;
            if ($left <= 0 || !$sel->can_read($left)) {
                syswrite $c->{sock}, $body;
                $sent = 1;
                next;
            }
        }
        my $status = read_response($c);
        if ($status == 100) {
            syswrite $c->{sock}, $body unless $sent;
            $sent = 1;
            next;
        }
        die "expected 417, got $status\n" unless $status == 417;
        close $c->{sock};
        return ($c->{head_at} - $t0) * 1000;
    }
}

sub bench_refusal_time
{
    my ($port, $pid) = start_log_servers();
    my $rounds = $quick ? 2 : 3;
    print "4. time from a request head with a refused expectation ($REFUSED,"
        . "\n   body of 1 KB withheld) to the final status line; a client "
        . "with a 1 s\n   expect timer, $rounds rounds each\n";
    my %ms;
    for my $i (1 .. $rounds) {
        for my $module ($i % 2 ? (0, 1) : (1, 0)) {
            push @{ $ms{$module} }, refusal_wait($port->{$module}, 1);
        }
    }
    printf "   stock %s ms; module %s ms\n",
        join(' ', map { sprintf '%.1f', $_ } @{ $ms{0} }),
        join(' ', map { sprintf '%.2f', $_ } @{ $ms{1} });
    my ($s, $m) = (median(@{ $ms{0} }), median(@{ $ms{1} }));
    row(n => 4, what => 'refused expectation: head to 417 (median)',
        stock => fmt_ms($s), module => fmt_ms($m),
        ratio => sprintf('%.4f', $m / $s), target => '< 10 ms',
        held => $m < 10 ? 'yes' : 'no');
    stop_server($pid->{$_}) for 0, 1;
}

sub bench_refused_upload
{
    my ($port, $pid) = start_log_servers();
    print "5. a refused 10 MB upload ($REFUSED), curl --expect100-timeout 5:"
        . "\n   body bytes the server read (mod_logio %I less the head)\n";
    open my $fh, '>', "$RUN/body-10m" or die "$RUN/body-10m: $!\n";
    print $fh 'u' x 1048576 for 1 .. 10;
    close $fh;
    my %got;
    for my $module (0, 1) {
        my $c = curl_refused($port->{$module}, "$RUN/body-10m", 5);
        my $log = "$RUN/" . ($module ? 'module' : 'stock') . '-log.access_log';
        my $in;
        for (1 .. 50) {         # the line is written after the response
            ($in) = read_file($log) =~ /^417 (\d+) /m;
            last if defined $in;
            sleep 0.1;
        }
        die "no 417 line in $log\n" unless defined $in;
        $got{$module} = { %$c, read => $in - $c->{head} };
        printf "   %-6s: 417 after %.0f ms; curl sent %d body bytes; the "
            . "server read %d bytes (head %d + body %d)\n",
            $module ? 'module' : 'stock', $c->{wait_ms}, $c->{sent}, $in,
            $c->{head}, $in - $c->{head};
    }
    row(n => 5, what => 'refused 10 MB upload: body bytes read',
        stock => $got{0}{read}, module => $got{1}{read},
        ratio => sprintf('%.4f', $got{1}{read} / ($got{0}{read} || 1)),
        target => '0', held => $got{1}{read} == 0 ? 'yes' : 'no');
    stop_server($pid->{$_}) for 0, 1;
}

# ---- 6: the parser alone ----------------------------------------------------

sub bench_parser
{
    die "$PARSE_BENCH is missing (make -f Makefile.apxs bench builds it)\n"
        unless -x $PARSE_BENCH;
    print "6. the parser alone (bench/parse_bench.c over APR): ns per call "
        . "(fastest of 7 rounds),\n   instructions per call (callgrind, "
        . "--toggle-collect, 1000 calls)\n";
    my @cases;
    for (split /\n/, `$PARSE_BENCH`) {
        my ($name, $len, $ns, $what) = split /\t/;
        push @cases, { name => $name, len => $len, ns => $ns, what => $what };
    }
    die "parse_bench failed\n" unless @cases;
    for my $c (@cases) {
        my $fn = { scan => 'ex_scan', quick => 'run_quick' }->{$c->{name}}
                 // 'ex_parse';
        my $out = "$RUN/pb.out";
        system("valgrind --tool=callgrind -q --toggle-collect=$fn "
               . "--callgrind-out-file=$out $PARSE_BENCH $c->{name} 1000 "
               . ">/dev/null 2>&1") == 0 or die "callgrind on parse_bench\n";
        ($c->{ir}) = read_file($out) =~ /^summary:\s*(\d+)/m;
        $c->{ir} /= 1000;
        printf "   %-58s %5d B %9.0f ns %8.0f instr  %5.1f instr/B\n",
            $c->{what}, $c->{len}, $c->{ns}, $c->{ir}, $c->{ir} / $c->{len};
    }
    my %c = map { $_->{name} => $_ } @cases;
    row(n => 6, what => 'parse "100-continue": ns, instr',
        stock => '-', module => sprintf('%.0f ns, %.0f', $c{continue}{ns},
                                        $c{continue}{ir}));
    row(n => 6, what => 'parse a list of 8 members (111 B): ns, instr',
        stock => '-', module => sprintf('%.0f ns, %.0f', $c{list}{ns},
                                        $c{list}{ir}));
    for my $shape ('empty', 'params') {
        my ($a, $b) = ($c{"${shape}1024"}, $c{"${shape}8192"});
        row(n => 6, what => "parse 8 KB hostile ($shape): ns, instr",
            stock => '-', module => sprintf('%.0f ns, %.0f', $b->{ns},
                                            $b->{ir}),
            ratio => sprintf('1 KB->8 KB: x%.2f instr, x%.2f ns', 
                             $b->{ir} / $a->{ir}, $b->{ns} / $a->{ns}),
            target => 'linear (x8)',
            held => $b->{ir} / $a->{ir} < 8.8 ? 'yes' : 'no');
    }
    row(n => 6, what => 'scan a 12-line head, no Expect: ns, instr',
        stock => '-', module => sprintf('%.0f ns, %.0f', $c{scan}{ns},
                                        $c{scan}{ir}));
    row(n => 6, what => 'quick path, the same head: ns, instr',
        stock => '-', module => sprintf('%.0f ns, %.0f', $c{quick}{ns},
                                        $c{quick}{ir}));
}
