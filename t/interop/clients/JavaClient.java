// Java's java.net.http.HttpClient as a client of t/interop/run.py, over
// HTTP/1.1 with expectContinue(true).  The client's API does not tell
// whether a 100 came; its own header log does (jdk.httpclient.HttpClient.log
// =headers logs each response head it reads, the 100's too), so a request
// that logged two response heads saw its 100.  Each request is bounded by
// CLIENT_BOUND seconds: JDK 17's client waits for good on a final status
// that answers expectContinue (JDK-8286171, fixed in JDK 20).  Cases on
// standard input (id, URL, size, Expect: Java sends its own); args[0] is
// h1.  One line out per case: id, status, 100 seen, milliseconds, X-Run,
// error.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

public class JavaClient {
    static final AtomicInteger heads = new AtomicInteger();
    // Held, so that the configured logger is not collected.
    static Logger log;

    public static void main(String[] args) throws Exception {
        System.setProperty("jdk.httpclient.HttpClient.log", "headers");
        log = Logger.getLogger("jdk.httpclient.HttpClient");
        log.setUseParentHandlers(false);
        log.addHandler(new Handler() {
            @Override public void publish(LogRecord r) {
                String m = r.getMessage();
                if (m != null && m.startsWith("HEADERS: RESPONSE HEADERS:")) {
                    heads.incrementAndGet();
                }
            }
            @Override public void flush() { }
            @Override public void close() { }
        });
        String b = System.getenv("CLIENT_BOUND");
        long boundMs = (long) (Double.parseDouble(b == null ? "5" : b) * 1000);
        HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).build();
        BufferedReader in = new BufferedReader(
            new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split("\t");
            String id = f[0];
            int size = Integer.parseInt(f[2]);
            byte[] head = ("GET /smuggled/b/" + id + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
            byte[] body = new byte[size];
            Arrays.fill(body, (byte) 'x');
            System.arraycopy(head, 0, body, 0, head.length);
            HttpRequest req = HttpRequest.newBuilder(URI.create(f[1]))
                .expectContinue(true)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
            heads.set(0);
            long start = System.nanoTime();
            int status = 0;
            String xrun = "-", err = "";
            CompletableFuture<HttpResponse<String>> fut =
                client.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            try {
                HttpResponse<String> resp = fut.get(boundMs, TimeUnit.MILLISECONDS);
                status = resp.statusCode();
                xrun = resp.headers().firstValue("X-Run").orElse("-");
            } catch (TimeoutException e) {
                fut.cancel(true);
                err = "no response in " + boundMs + " ms";
            } catch (Exception e) {
                err = String.valueOf(e.getCause() != null ? e.getCause() : e)
                    .replace('\t', ' ').replace('\n', ' ');
            }
            double ms = (System.nanoTime() - start) / 1e6;
            String saw = heads.get() > 1 ? "yes" : "no";
            System.out.printf("%s\t%d\t%s\t%.1f\t%s\t%s%n", id, status, saw, ms,
                              xrun, err);
            System.out.flush();
        }
        System.exit(0);
    }
}
