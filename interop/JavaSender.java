import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelaySender;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/**
 * A sender written with Hybrid Relay for Java, for the interoperability checks: writes random bytes
 * to an echoing listener (for example hyco-ws), reads them back and compares SHA-256.
 * usage: java -cp CLASSPATH JavaSender.java "CONNECTION_STRING" ENTITY [BYTES]
 */
public class JavaSender {
  public static void main(String[] args) throws Exception {
    int size = args.length > 2 ? Integer.parseInt(args[2]) : 4 << 20;
    byte[] data = new byte[size];
    new Random(42).nextBytes(data);
    RelaySender sender = RelaySender.builder(args[0]).entityPath(args[1]).build();
    try (RelayConnection c = sender.connect()) {
      OutputStream out = c.getOutputStream();
      InputStream in = c.getInputStream();
      Thread writer = new Thread(() -> {
        try {
          for (int off = 0; off < size; off += 60000) {
            out.write(data, off, Math.min(60000, size - off));
          }
          out.flush();
        } catch (Exception e) {
          System.out.println("java-sender: write failed: " + e);
        }
      });
      writer.start();
      byte[] back = in.readNBytes(size);
      writer.join();
      String want = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
      String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(back));
      if (back.length != size || !want.equals(got)) {
        System.out.println("java-sender: FAILED: got " + back.length + " of " + size + " bytes, sha256 " + got + " want " + want);
        System.exit(1);
      }
      System.out.println("java-sender: OK " + size + " bytes echoed, sha256 " + got.substring(0, 16) + "...");
    }
  }
}
