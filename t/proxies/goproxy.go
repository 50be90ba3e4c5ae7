// Go's httputil.ReverseProxy in front of the origins, as t/lib/fronts.py
// starts it: one argument LISTEN=TARGET (host:port each) per origin, every
// request on LISTEN sent to http://TARGET, with the proxy's defaults
// (http.DefaultTransport: upstream keep-alive, ExpectContinueTimeout 1s).
// Built with Debian's Go in GOPATH mode: the standard library only.
package main

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: goproxy LISTEN=TARGET ...")
	}
	for _, arg := range os.Args[1:] {
		listen, target, ok := strings.Cut(arg, "=")
		if !ok {
			log.Fatalf("not LISTEN=TARGET: %q", arg)
		}
		u, err := url.Parse("http://" + target)
		if err != nil {
			log.Fatal(err)
		}
		srv := &http.Server{Addr: listen,
			Handler: httputil.NewSingleHostReverseProxy(u)}
		go func() { log.Fatal(srv.ListenAndServe()) }()
	}
	select {}
}
