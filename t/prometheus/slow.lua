-- The fixup of t/prometheus/httpd.conf's /slow: wait PM_SLOW_MS ms, as a
-- slow access check would, before the handler reads the body.
require 'apache2'

function slow(r)
    r.usleep(tonumber(os.getenv('PM_SLOW_MS') or '300') * 1000)
    return apache2.DECLINED
end
