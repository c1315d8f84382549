import dev.hybridrelay.core.RelayListener;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * An HTTP listener written with Hybrid Relay for Java (RelayRequestHandler), for the interop checks;
 * the same routes as hyco-https-listener.js.
 * usage: java -cp CLASSPATH JavaHttpListener.java "CONNECTION_STRING" ENTITY
 */
public class JavaHttpListener {
  public static void main(String[] args) throws Exception {
    RelayListener listener = RelayListener.builder(args[0]).entityPath(args[1]).requestHandler((req, res) -> {
      String path = req.path().split("\\?")[0];
      if (req.method().equals("GET") && path.startsWith("/bytes/")) {
        int n = Integer.parseInt(path.substring("/bytes/".length()));
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
          b[i] = (byte) ((i * 31L) % 251);
        }
        res.headers().put("Content-Type", "application/octet-stream");
        res.body().write(b);
        return;
      }
      if (path.endsWith("/empty")) {
        res.setStatus(204);
        return;
      }
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      long total = 0;
      try (InputStream in = req.body()) {
        byte[] buf = new byte[65536];
        for (int r; (r = in.read(buf)) != -1; ) {
          md.update(buf, 0, r);
          total += r;
        }
      }
      if (path.endsWith("/sha256")) {
        res.body().write((HexFormat.of().formatHex(md.digest()) + ":" + total).getBytes(StandardCharsets.UTF_8));
      } else {
        req.header("X-Custom").ifPresent(v -> res.headers().put("X-Echo", v));
        res.setStatus(req.path().contains("status=201") ? 201 : 200);
        res.body().write(("hello " + req.method() + " " + req.requestTarget()).getBytes(StandardCharsets.UTF_8));
      }
    }).build();
    listener.open();
    System.out.println("java-http-listener: LISTENING on " + args[1]);
    Thread.sleep(Long.MAX_VALUE);
  }
}
