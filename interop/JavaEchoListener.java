import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A byte-echo listener written with Hybrid Relay for Java, for the interoperability checks.
 * usage: java -cp CLASSPATH JavaEchoListener.java "CONNECTION_STRING" ENTITY
 * Prints "java-listener: LISTENING" once online; echoes every connection's bytes until the sender
 * closes; prints one line per connection.
 */
public class JavaEchoListener {
  public static void main(String[] args) throws Exception {
    RelayListener listener = RelayListener.builder(args[0]).entityPath(args[1]).build();
    listener.open();
    System.out.println("java-listener: LISTENING on " + args[1]);
    while (true) {
      RelayConnection c = listener.accept();
      Thread t = new Thread(() -> {
        long n = 0;
        try (c; InputStream in = c.getInputStream(); OutputStream out = c.getOutputStream()) {
          byte[] buf = new byte[65536];
          for (int r; (r = in.read(buf)) != -1; ) {
            out.write(buf, 0, r);
            out.flush();
            n += r;
          }
          c.shutdownOutput();
        } catch (Exception e) {
          System.out.println("java-listener: connection failed after " + n + " bytes: " + e);
        }
        System.out.println("java-listener: echoed " + n + " bytes");
      });
      t.setDaemon(true);
      t.start();
    }
  }
}
