// Go's net/http as a client of t/interop/run.py.  HTTP/1.1 with
// Transport.ExpectContinueTimeout; HTTP/2 over cleartext (prior knowledge)
// with golang.org/x/net/http2, configured from an http.Transport so that
// it keeps the same timeout.  Cases on standard input (id, URL, size,
// Expect); os.Args[1] is h1 or h2.  One line out per case: id, status,
// 100 seen, milliseconds, X-Run, error.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
)

func main() {
	bound, err := strconv.ParseFloat(os.Getenv("CLIENT_BOUND"), 64)
	if err != nil {
		bound = 5
	}
	t1 := &http.Transport{ExpectContinueTimeout: time.Second}
	var rt http.RoundTripper = t1
	if os.Args[1] == "h2" {
		t2, err := http2.ConfigureTransports(t1)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// ConfigureTransports leaves dialing to t1 (for TLS and ALPN):
		// the default pool dials with DialTLS, here a plain connection.
		t2.ConnPool = nil
		t2.AllowHTTP = true
		t2.DialTLS = func(network, addr string, _ *tls.Config) (net.Conn, error) {
			return net.Dial(network, addr)
		}
		rt = t2
	}
	client := &http.Client{Transport: rt,
		Timeout: time.Duration(bound * float64(time.Second))}

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Split(in.Text(), "\t")
		id, url, expect := f[0], f[1], f[3]
		size, _ := strconv.Atoi(f[2])
		body := []byte(fmt.Sprintf("GET /smuggled/b/%s HTTP/1.1\r\nHost: x\r\n\r\n", id))
		body = append(body, bytes.Repeat([]byte("x"), size-len(body))...)

		saw := "no"
		trace := &httptrace.ClientTrace{Got100Continue: func() { saw = "yes" }}
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Expect", expect)

		start := time.Now()
		resp, err := client.Do(req)
		status, xrun, msg := 0, "-", ""
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
			if v := resp.Header.Get("X-Run"); v != "" {
				xrun = v
			}
		} else {
			msg = strings.ReplaceAll(err.Error(), "\t", " ")
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		fmt.Printf("%s\t%d\t%s\t%.1f\t%s\t%s\n", id, status, saw, ms, xrun, msg)
	}
}
