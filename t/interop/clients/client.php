<?php
// PHP's curl extension as a client of t/interop/run.py: over HTTP/1.1 one
// handle for every case, so that connections are kept as an application
// would keep them.  Over HTTP/2 (prior knowledge) a handle, so a
// connection, for each case: libcurl 7.88 fails a request on a reused
// prior-knowledge connection with "Error in the HTTP2 framing layer"
// (curl#10634, fixed in 8.0.0).  Cases on standard input (id, URL, size, Expect or "auto"); $argv[1]
// is h1 or h2 (prior knowledge).  One line out per case: id, status, 100
// seen, milliseconds, X-Run, error.
if (!function_exists('curl_init')) {
    fwrite(STDERR, "PHP's curl extension is missing (apt-get install php-curl)\n");
    exit(1);
}
$proto = $argv[1];
$bound = (float)(getenv('CLIENT_BOUND') ?: 5);
$ch = curl_init();
while (($line = fgets(STDIN)) !== false) {
    [$id, $url, $size, $expect] = explode("\t", rtrim($line, "\n"));
    $body = "GET /smuggled/b/$id HTTP/1.1\r\nHost: x\r\n\r\n";
    $body .= str_repeat('x', (int)$size - strlen($body));
    $heads = [];
    if ($proto === 'h2') {
        curl_close($ch);
        $ch = curl_init();
    }
    curl_reset($ch);
    $hdrs = ['Content-Type: application/octet-stream'];
    if ($expect !== 'auto') {
        $hdrs[] = "Expect: $expect";
    }
    curl_setopt_array($ch, [
        CURLOPT_URL => $url,
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => $body,
        CURLOPT_HTTPHEADER => $hdrs,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT_MS => (int)($bound * 1000),
        CURLOPT_HTTP_VERSION => $proto === 'h2'
            ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_1_1,
        CURLOPT_HEADERFUNCTION => function ($ch, $h) use (&$heads) {
            $heads[] = rtrim($h, "\r\n");
            return strlen($h);
        },
    ]);
    $t = microtime(true);
    $out = curl_exec($ch);
    $ms = (microtime(true) - $t) * 1000;
    $saw = 'no';
    $xrun = '-';
    foreach ($heads as $h) {
        if (preg_match('#^HTTP/[0-9.]+ 100\b#', $h)) {
            $saw = 'yes';
        }
        if (stripos($h, 'x-run:') === 0) {
            $xrun = trim(substr($h, 6));
        }
    }
    $err = $out === false ? 'curl error ' . curl_errno($ch) . ': ' . curl_error($ch) : '';
    printf("%s\t%d\t%s\t%.1f\t%s\t%s\n", $id,
           curl_getinfo($ch, CURLINFO_RESPONSE_CODE), $saw, $ms, $xrun, $err);
}
