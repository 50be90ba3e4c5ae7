# The server-wide counters in mod_status: exact after a known mix of
# requests, spread over several children, exact under concurrent clients,
# and kept across a graceful restart.  Names are counted one by one only
# for the names the server configuration lists (t/conf/status.conf.in has
# one of each kind): no client and no .htaccess adds one.  The counters are
# shared by the whole test run, so every check compares the counts before
# and after.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestUtil qw(t_start_error_log_watch t_finish_error_log_watch);
use POSIX ();
use Time::HiRes qw(sleep time);
use lib 't/lib';
use ExpectTest;

plan tests => 69;

my @FIXED = qw(ExpectRequests ExpectMet ExpectRejected ExpectIgnored
               ExpectContinue ExpectMalformed ExpectWouldReject
               ExpectUnjudged);
my $SLOTS = 64;                 # EX_NAMES_MAX in expect_counters.h
my $LONG = 'x-status-long-' . join('', map { $_ % 10 } 0 .. 69);
my $conf_dir = Apache::Test::vars('t_conf');
my $logs = Apache::Test::vars('t_logs');
my $added = "$logs/status-names.conf";
END { unlink $added if defined $added }

sub status {
    my $s = connect_to();
    send_raw($s, request(GET => '/server-status?auto', []));
    my $res = read_response($s) or return {};
    my %v = $res->{body} =~ /^(\w[^:\n]*): (\S+)$/mg;
    return \%v;
}

sub delta {
    my ($before, $after, $key) = @_;
    return ($after->{$key} // 0) - ($before->{$key} // 0);
}

# The names with a line of their own.
sub named {
    my $st = shift;
    return sort map { /^ExpectName_(.+)$/ ? $1 : () } keys %$st;
}

# Sum of the per-name deltas for the names given, with what went to
# "other" for names that have no line of their own.
sub name_delta {
    my ($before, $after, @names) = @_;
    my $n = 0;
    $n += delta($before, $after, "ExpectName_$_") for @names;
    return $n;
}

# Every name ExpectAllow lists in the server configuration (the files
# Apache::Test made from t/conf/*.conf.in, and the one this test adds),
# in lower case, with 100-continue, which always has a line: those that
# fit a line (63 bytes).
sub configured {
    my %names = ('100-continue' => 1);
    my @files = map { s/\.in$//r } glob("$conf_dir/*.conf.in");
    for my $file (@files, -e $added ? $added : ()) {
        open my $fh, '<', $file or die "$file: $!";
        while (<$fh>) {
            next unless /^\s*ExpectAllow\s+(.*?)\s*$/i;
            $names{lc $_} = 1 for grep { lc ne 'none' } split ' ', $1;
        }
    }
    return sort grep { length() <= 63 } keys %names;
}

sub send_one {
    my ($path, $expect, %opt) = @_;
    my $s = connect_to();
    send_raw($s, request(POST => $path, ["Expect: $expect", "Content-Length: 0"],
                         %opt));
    my $res = read_response($s);
    return $res ? $res->{status} : 'none';
}

# A graceful restart; returns the status once a new generation serves.
sub graceful {
    my $pre = status();
    my $pidfile = Apache::Test::vars('t_pid_file');
    open my $fh, '<', $pidfile or die "$pidfile: $!";
    chomp(my $parent = <$fh>);
    my $generation = $pre->{ParentServerConfigGeneration} // 0;
    kill('USR1', $parent) or return {};
    my $post = {};
    my $deadline = time + 60;       # a bound for a loaded machine
    while (time < $deadline) {
        sleep 0.1;
        $post = status();
        last if ($post->{ParentServerConfigGeneration} // 0) > $generation;
    }
    return ($post->{ParentServerConfigGeneration} // 0) > $generation
           ? $post : {};
}

my $before = status();
for my $key (@FIXED, 'ExpectNameOther') {
    ok exists $before->{$key}, "?auto has $key";
}

# The names the configuration lists, and only those, have lines.
{
    my @want = configured();
    cmp_ok scalar(@want), '<=', $SLOTS, 'the test configuration fits the table';
    is_deeply [ named($before) ], \@want,
        'a line for each name the server configuration lists, and no other';
    ok exists $before->{'ExpectName_x-status-loc'},
        'a name listed only in a <Location> has a line';
    ok exists $before->{'ExpectName_x-status-if'},
        'a name listed only in an <If> has a line';
    ok exists $before->{'ExpectName_100-continue'},
        '100-continue has a line';
    ok !grep({ /^ExpectName_x-status-long/ } keys %$before),
        'a name too long for a counter has none';
}

# The mix: 3 met, 2 refused, 2 lenient with a dropped member each, one
# malformed field refused and one dropped, one HTTP/1.0 100-continue.
my @sent = (
    [ '/up', '100-continue' ], [ '/up', '100-continue' ],
    [ '/ext', 'x-foo, 100-continue' ],
    [ '/up', 'x-foo' ], [ '/none', '100-continue' ],
    [ '/lenient', 'x-foo, 100-continue' ], [ '/lenient', 'x-foo' ],
    [ '/up', 'a b' ], [ '/lenient', 'a b' ],
);
my @status = map { send_one(@$_) } @sent;
push @status, send_one('/none', '100-continue', proto => 'HTTP/1.0');
is "@status", "200 200 200 417 417 200 200 417 200 200",
    'the mix was answered as expected';

my $after = status();
is delta($before, $after, 'ExpectRequests'), 10, 'ExpectRequests: every request';
is delta($before, $after, 'ExpectMet'), 4, 'ExpectMet (HTTP/1.0 100-continue is met)';
is delta($before, $after, 'ExpectRejected'), 3, 'ExpectRejected';
is delta($before, $after, 'ExpectIgnored'), 3, 'ExpectIgnored';
is delta($before, $after, 'ExpectContinue'), 6,
    'ExpectContinue: requests that asked for 100-continue';
is delta($before, $after, 'ExpectMalformed'), 2, 'ExpectMalformed';
is delta($before, $after, 'ExpectWouldReject'), 3,
    'ExpectWouldReject: two members and one malformed field dropped by lenient';
is delta($before, $after, 'ExpectUnjudged'), 0,
    'ExpectUnjudged: nothing over HTTP/1.1 is left to core';
is delta($before, $after, 'ExpectName_100-continue'), 6,
    'ExpectName_100-continue: one per member';
is delta($before, $after, 'ExpectName_x-foo'), 4,
    'ExpectName_x-foo: a configured name counts in its line';
is name_delta($before, $after, named($after))
   + delta($before, $after, 'ExpectNameOther'), 10,
    'named members and "other" add up to the members sent';
ok !grep({ !/^[!#\$%&'*+.^_`|~0-9a-z-]+$/ } named($after)),
    'names are tokens, in lower case';

# What no configuration lists counts as other, and takes no line.
{
    my $pre = status();
    my $junk = join ', ', map { "x-junk-$_" } 1 .. 20;
    is send_one('/up', $junk), 417, '20 names no one configured: refused';
    is send_one('/status/loc', 'X-Status-Loc'), 200,
        'a configured name, in another case: met';
    is send_one('/status/if?if', 'x-status-if'), 200,
        'the name listed in the <If>: met where the <If> holds';
    is send_one('/status/long', $LONG), 200, 'the name too long for a line: met';
    is send_one('/status/ht/index.html', 'x-status-htaccess'), 200,
        'a name an .htaccess lists: met there';
    my $post = status();
    is_deeply [ named($post) ], [ named($pre) ],
        'none of them added a line';
    ok !grep({ /junk|htaccess/ } keys %$post),
        'no line for the junk names or the .htaccess name';
    is delta($pre, $post, 'ExpectNameOther'), 22,
        'ExpectNameOther: the 20 junk names, the long one and the .htaccess one';
    is delta($pre, $post, 'ExpectName_x-status-loc'), 1,
        'ExpectName_x-status-loc counted, whatever the case sent';
    is delta($pre, $post, 'ExpectName_x-status-if'), 1,
        'ExpectName_x-status-if counted';
}

# The HTML page has the same figures.
{
    my $s = connect_to();
    send_raw($s, request(GET => '/server-status', []));
    my $res = read_response($s);
    like $res && $res->{body}, qr{<h2>mod_expect</h2>}, 'a section in /server-status';
    like $res && $res->{body},
        qr{<td>Requests with an Expect field</td><td>\d+</td>},
        '... with the counts';
    like $res && $res->{body},
        qr{<td>Not judged: left to httpd's core \(mod_http2 before 2\.0\)</td><td>\d+</td>},
        '... requests left to core';
    like $res && $res->{body}, qr{<td>Expect: x-status-loc</td><td>\d+</td>},
        '... and the configured names';
    like $res && $res->{body}, qr{<td>Expect: x-status&amp;copy</td><td>\d+</td>},
        '... escaped for HTML';
}

# Concurrent clients, several children.
{
    my $clients = 4;
    my $each = 25;
    my $pre = status();
    my @pids;
    for my $c (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $bad = 0;
            for my $i (1 .. $each) {
                my $want = $i % 5 == 0 ? 417 : 200;
                my $got = send_one('/up', $i % 5 == 0 ? "x-junk-$c-$i"
                                                      : '100-continue');
                $bad++ if $got ne $want;
            }
            POSIX::_exit($bad ? 1 : 0);
        }
        push @pids, $pid;
    }
    my $failed = 0;
    for (@pids) {
        waitpid $_, 0;
        $failed++ if $?;
    }
    is $failed, 0, "$clients concurrent clients got the answers they expected";
    my $post = status();
    is delta($pre, $post, 'ExpectRequests'), $clients * $each,
        'concurrent: ExpectRequests equals the requests sent';
    is delta($pre, $post, 'ExpectMet'), $clients * $each * 4 / 5,
        'concurrent: ExpectMet';
    is delta($pre, $post, 'ExpectRejected'), $clients * $each / 5,
        'concurrent: ExpectRejected';
    is delta($pre, $post, 'ExpectName_100-continue'), $clients * $each * 4 / 5,
        'concurrent: ExpectName_100-continue';
    is delta($pre, $post, 'ExpectNameOther'), $clients * $each / 5,
        'concurrent: ExpectNameOther';
    is_deeply [ named($post) ], [ named($pre) ], 'concurrent: no new line';

    open my $fh, '<', "$logs/access_log" or die "$logs/access_log: $!";
    my %pids = map { /pid=(\d+)/ ? ($1 => 1) : () }
               grep { m{"POST /up HTTP/1.1"} } <$fh>;
    cmp_ok scalar(keys %pids), '>=', 2,
        'the requests were served by more than one child process';
}

# A graceful restart keeps the counters: the new children inherit them,
# and each name keeps its count.
{
    my $pre = status();
    my $post = graceful();
    ok %$post, 'graceful restart: a new generation serves';
    is $post->{ExpectRequests}, $pre->{ExpectRequests},
        'ExpectRequests kept across the graceful restart';
    is $post->{'ExpectName_x-status-loc'}, $pre->{'ExpectName_x-status-loc'},
        'ExpectName_x-status-loc kept';
    is $post->{'ExpectName_100-continue'}, $pre->{'ExpectName_100-continue'},
        'ExpectName_100-continue kept';
    is_deeply [ named($post) ], [ named($pre) ], 'the same lines';
    is send_one('/status/loc', 'x-status-loc'), 200, 'and the new children count on';
    my $now = status();
    is delta($pre, $now, 'ExpectMet'), 1, '... into the same counters';
    is delta($pre, $now, 'ExpectName_x-status-loc'), 1, '... names too';
}

# A restart with names added: a new name gets a line from zero, the others
# keep theirs; past the table, names count as other and the log says so.
# Then without them: their lines go.
{
    my $pre = status();
    my @many = map { "x-status-many-$_" } 1 .. $SLOTS;
    # Written whole, then renamed: the server never reads half of it.
    open my $fh, '>', "$added.tmp" or die "$added.tmp: $!";
    print $fh "<Location /status/added>\n    SetHandler reflector\n",
              "    ExpectAllow x-status-added\n</Location>\n",
              "<Location /status/many>\n    ExpectAllow @many\n</Location>\n";
    close $fh or die "$added.tmp: $!";
    rename "$added.tmp", $added or die "$added: $!";
    t_start_error_log_watch();
    my $post = graceful();
    ok %$post, 'restart with more names than the table has';
    my %have = map { $_ => 1 } named($post);
    is scalar(keys %have), $SLOTS, 'every counter is in use';
    is $post->{'ExpectName_x-status-loc'}, $pre->{'ExpectName_x-status-loc'},
        'a name that stays configured keeps its count';
    is $post->{'ExpectName_x-status-added'}, 0, 'a new name starts from 0';
    my @out = grep { !$have{$_} } configured();
    my $log = join '', t_finish_error_log_watch();
    my ($warned) = $log =~ /lists more names than the $SLOTS counters[^\n]*ExpectNameOther: ([^\n]*)/;
    is_deeply [ sort split /, /, $warned // '' ], [ sort @out ],
        'the warning names each configured name left without a line';
    like $log, qr/longer than 63 bytes[^\n]*ExpectNameOther: \Q$LONG\E$/m,
        '... and the one too long for a line';

    unlink $added;
    my $back = graceful();
    ok %$back, 'restart without those names';
    is_deeply [ named($back) ], [ configured() ],
        'their lines are gone, the others are back';
    is send_one('/status/loc', 'x-status-added'), 417,
        'a name no longer configured is refused';
    is delta($back, status(), 'ExpectNameOther'), 1, '... and counts as other';
}
