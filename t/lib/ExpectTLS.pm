package ExpectTLS;

# The key and certificate of the suite's TLS virtual host
# (t/conf/tls.conf.in), made by openssl whenever Apache::Test writes the
# configuration: on a clean tree, and after `t/TEST.PL -clean`, which
# removes them.  t/TEST.PL registers make_cert() as a configuration hook.
#
# A throwaway CA (its key is deleted once it has signed) issues a server
# certificate for IP:127.0.0.1, so that clients verify the server as they
# would any site: t/tls.t and t/h2client.py trust t/conf/tls/ca.pem and
# check the address.  Nothing here is committed (.gitignore: /t/conf/tls/).

use strict;
use warnings FATAL => 'all';

use File::Path ();
use File::Spec ();
use POSIX ();

my $CNF = <<'EOF';
[req]
distinguished_name = dn
prompt = no
[dn]
CN = 127.0.0.1
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# The directory the files go to, under the configuration's t/conf.
sub dir {
    my $config = shift;
    return File::Spec->catdir($config->{vars}{t_conf}, 'tls');
}

# A preamble hook of Apache::TestConfig: $config is the configuration
# being written.  Dies (and so fails the run) when openssl fails.
sub make_cert {
    my $config = shift;
    my $dir = dir($config);
    File::Path::remove_tree($dir);
    $config->gendir($dir);

    my %f = map { $_ => File::Spec->catfile($dir, $_) }
            qw(openssl.cnf ca.key ca.pem server.key server.pem);
    open my $fh, '>', $f{'openssl.cnf'} or die "$f{'openssl.cnf'}: $!\n";
    print $fh $CNF;
    close $fh or die "$f{'openssl.cnf'}: $!\n";

    my @key = (qw(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes
                  -days 7 -config), $f{'openssl.cnf'});
    openssl(qw(req -x509 -extensions ca -subj), '/CN=mod_expect test CA',
            @key, -keyout => $f{'ca.key'}, -out => $f{'ca.pem'});
    openssl(qw(req -x509 -extensions server -subj /CN=127.0.0.1),
            -CA => $f{'ca.pem'}, -CAkey => $f{'ca.key'},
            @key, -keyout => $f{'server.key'}, -out => $f{'server.pem'});
    unlink $f{'ca.key'};

    $config->clean_add_file($f{$_}) for qw(openssl.cnf ca.pem server.key
                                            server.pem);
    return;
}

# Runs openssl with these arguments; its output is shown only if it fails.
sub openssl {
    my @cmd = ('openssl', @_);
    my $pid = open(my $from, '-|') // die "fork: $!\n";
    if (!$pid) {
        # A failed exec warns, and under FATAL warnings that would die
        # here, in the child, and go on running the caller's code.
        no warnings 'exec';
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        exec { $cmd[0] } @cmd or do {
            syswrite STDOUT, "cannot run openssl: $!\n";
            POSIX::_exit(127);
        };
    }
    my $out = do { local $/; <$from> } // '';
    close $from;
    die "making the TLS test certificate failed (exit " . ($? >> 8)
        . "): @cmd\n$out" if $?;
    return;
}

1;
