#!/usr/bin/python3
"""botocore (Debian's python3-botocore) as a client of t/interop/run.py:
S3 PutObject with a file-like body, for which botocore sends
"Expect: 100-continue" itself and waits a second for the 100.  The endpoint
is the case's scope on the test server (path-style addressing keeps
/<scope>/<bucket>/<key>); the credentials are made up, nothing checks
them.  Whether the 100 came is read from botocore's own debug log.  Cases
on standard input (id, URL, size, Expect: botocore sends its own); argv[1]
is h1.  One line out per case: id, status, 100 seen, milliseconds, X-Run,
error.
"""
import io
import logging
import os
import sys
import time
from urllib.parse import urlsplit

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError


class Seen(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.saw = 'no'

    def emit(self, record):
        if record.getMessage().startswith('100 Continue response seen'):
            self.saw = 'yes'


seen = Seen()
log = logging.getLogger('botocore.awsrequest')
log.setLevel(logging.DEBUG)
log.addHandler(seen)
log.propagate = False

bound = float(os.environ.get('CLIENT_BOUND', '5'))
session = botocore.session.get_session()
clients = {}

for line in sys.stdin:
    rid, url, size, _ = line.rstrip('\n').split('\t')
    u = urlsplit(url)
    scope, bucket, key = u.path.lstrip('/').split('/')
    endpoint = '%s://%s/%s' % (u.scheme, u.netloc, scope)
    if endpoint not in clients:
        clients[endpoint] = session.create_client(
            's3', endpoint_url=endpoint, region_name='us-east-1',
            aws_access_key_id='interop', aws_secret_access_key='interop',
            config=Config(s3={'addressing_style': 'path'},
                          connect_timeout=bound, read_timeout=bound))
    head = ('GET /smuggled/b/%s HTTP/1.1\r\nHost: x\r\n\r\n' % rid).encode()
    body = head + b'x' * (int(size) - len(head))
    seen.saw = 'no'
    status, xrun, err = 0, '-', ''
    start = time.monotonic()
    try:
        resp = clients[endpoint].put_object(Bucket=bucket, Key=key,
                                            Body=io.BytesIO(body))
        meta = resp['ResponseMetadata']
    except ClientError as e:
        meta = e.response.get('ResponseMetadata', {})
    except Exception as e:     # a time-out, a reset: say it
        meta = {}
        err = ('%s: %s' % (type(e).__name__, e)).replace('\t', ' ')
    ms = (time.monotonic() - start) * 1000
    status = meta.get('HTTPStatusCode', 0)
    xrun = meta.get('HTTPHeaders', {}).get('x-run', '-')
    print('%s\t%d\t%s\t%.1f\t%s\t%s' % (rid, status, seen.saw, ms, xrun, err),
          flush=True)
