package dev.hybridrelay.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.SecureRandom;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;

/**
 * Start-up work done on a second thread while the main thread parses the command line.
 *
 * <p>Between JVM start and a forwarder's first control channel, most of the time is one-off
 * initialisation of JDK and library code that the first connection needs anyway: the JSON mapper
 * (Jackson's default date format pulls in the CLDR locale data), the JCE provider list behind
 * {@code HmacSHA256} (SAS signing), the {@link SecureRandom} seed source (WebSocket keys and mask
 * keys), the default {@link SSLContext} with the JDK's trust store (every {@code wss://} endpoint,
 * which is every Azure Relay endpoint), and the WebSocket client's classes. On the main thread these
 * run one after the other after the command line is parsed; started here first, they overlap the
 * parse and the forwarder's own set-up on the second core. The result is only warmed-up JVM state
 * (initialised classes, cached providers): nothing computed here is handed over, so a failure here
 * changes nothing but the start time, and is ignored.
 *
 * <p>Runs on one daemon thread named {@code hybridrelay-warmup} for the client roles only
 * ({@code forward}, {@code connect}, {@code listen}); {@code serve}, {@code demo}, {@code --help}
 * and {@code --version} start without it. {@code HYBRIDRELAY_WARMUP=0} in the environment turns it
 * off.
 */
final class StartupWarmup {

  /** Subcommands whose first connection is a WebSocket client connection to a relay. */
  static final Set<String> CLIENT_ROLES = Set.of("forward", "connect", "listen");

  /**
   * Classes of the WebSocket client path, loaded and initialised ahead of the first connection.
   * {@code StartupWarmupTest} checks that each name still resolves.
   */
  static final List<String> CLASSES = List.of(
      "org.java_websocket.client.WebSocketClient",
      "org.java_websocket.drafts.Draft_6455",
      "org.java_websocket.WebSocketImpl",
      "dev.hybridrelay.core.internal.RelayDraft",
      "dev.hybridrelay.core.internal.RelayWebSocket",
      "dev.hybridrelay.core.internal.ListenerImpl");

  private StartupWarmup() {}

  /** Starts the warm-up thread when {@code args} name a client role; returns it, or null. */
  static Thread startFor(String[] args) {
    if (args.length == 0 || !CLIENT_ROLES.contains(args[0])
        || "0".equals(System.getenv("HYBRIDRELAY_WARMUP"))) {
      return null;
    }
    Thread t = new Thread(StartupWarmup::run, "hybridrelay-warmup");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The warm-up itself; each step is independent, and a step that fails is skipped. */
  static void run() {
    step(() -> new ObjectMapper().readTree("{\"accept\":{\"id\":\"warm\",\"connectHeaders\":{}}}"));
    step(() -> {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
      return mac.doFinal(new byte[1]);
    });
    step(() -> new SecureRandom().nextInt());
    ClassLoader loader = StartupWarmup.class.getClassLoader();
    for (String name : CLASSES) {
      step(() -> Class.forName(name, true, loader));
    }
    step(SSLContext::getDefault);
  }

  private interface Step {
    Object run() throws Exception;
  }

  private static void step(Step s) {
    try {
      s.run();
    } catch (Exception | LinkageError e) {
      // warm-up only: the main thread meets the same code later and reports any real problem
    }
  }

}
