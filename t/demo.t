# The demo that `make -f Makefile.apxs run` serves (conf/demo.conf) does
# what the README's curl lines say.  Starts its own apache2 on a free
# port of 127.0.0.1 and stops it at the end.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Spec ();
use File::Temp ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(sleep time);

plan tests => 9;

my $vars = Apache::Test::vars();
my $top = File::Spec->rel2abs(File::Spec->catdir($vars->{serverroot}, '..'));
my $run = File::Temp::tempdir(CLEANUP => 1);

# A free port: bind to 0, take what the kernel gave, let it go.
my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die "probe: $!";
my $port = $probe->sockport;
close $probe;

local $ENV{EXPECT_TOP} = $top;
local $ENV{EXPECT_DOCROOT} = "$top/conf/demo";
local $ENV{EXPECT_PORT} = $port;
local $ENV{EXPECT_RUN} = $run;
my $pid = fork // die "fork: $!";
if (!$pid) {
    open STDOUT, '>', "$run/out.log";
    open STDERR, '>&', \*STDOUT;
    { exec $vars->{httpd}, '-d', $top, '-f', "$top/conf/demo.conf",
           '-DFOREGROUND' }
    POSIX::_exit(127);
}
END {
    if ($pid) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
    }
}

my $up = 0;
my $deadline = time + 60;           # a bound for a loaded machine
while (time < $deadline) {
    last if $up = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
    sleep 0.1;
}
ok $up, 'the demo server starts' or BAIL_OUT('demo did not start');


sub run_curl {
    my ($path, @h) = @_;
    my @cmd = ('curl', '-s', '-i', '--max-time', '10', '--data-binary', 'hello');
    push @cmd, map { ('-H', $_) } @h;
    open my $fh, '-|', @cmd, "http://127.0.0.1:$port$path" or die "curl: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    return $out // '';
}

my $home = `curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/`;
is $home, '200', 'the demo home page';

like run_curl('/upload', 'Expect: 100-continue'),
    qr{HTTP/1.1 100 Continue.*HTTP/1.1 200 OK.*\r\n\r\nhello$}s,
    '/upload: 100 Continue, then the body echoed';
like run_curl('/upload', 'Expect: 100-continue,', 'Expect: 100-continue'),
    qr{HTTP/1.1 200 OK.*X-Expect-Status: met}s,
    '/upload: a list over two lines is met';
like run_curl('/upload', 'Expect: x-unknown'),
    qr{HTTP/1.1 417 .*Connection: close}s, '/upload: x-unknown refused';
like run_curl('/strict', 'Expect: 100-continue'),
    qr{HTTP/1.1 417 .*This endpoint meets no expectation}s,
    '/strict: 417 with its own page';
my $lenient = run_curl('/lenient', 'Expect: 100-continue, x-unknown');
like $lenient, qr{HTTP/1.1 200 OK.*X-Expect-Status: ignored}s,
    '/lenient: x-unknown dropped';
like $lenient, qr{X-Seen-Expect: 100-continue\r\n}, '/lenient: what is left';
like run_curl('/checksum', 'Expect: x-checksum=sha256'),
    qr{HTTP/1.1 200 OK.*X-Expect-Status: met.*X-Seen-Expect: x-checksum=sha256}s,
    '/checksum: the extension expectation is met';
