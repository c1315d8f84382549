package dev.hybridrelay.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that runs a {@link LocalRelayServer} for a test class, like OkHttp's
 * MockWebServer. Registered on a {@code static} field, one server serves the whole class (started
 * before all tests, closed after all); on an instance field, each test gets its own server.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalRelayExtension relay = LocalRelayExtension.builder()
 *     .configure(b -> b.acceptTimeout(Duration.ofSeconds(2)))
 *     .build();
 *
 * @Test
 * void echo() {
 *   String cs = relay.connectionString("orders");   // hybrid connection auto-created on listen
 * }
 * }</pre>
 *
 * <p>Defaults: bound to 127.0.0.1 on an ephemeral port, plain ws, one rule
 * {@value LocalRelayServer#DEFAULT_RULE_NAME} with a random key, unknown hybrid connections
 * auto-created by the first listener. {@link #server()} is usable from {@code @BeforeAll} methods
 * of the test class onwards. The JUnit Jupiter API is an optional dependency of this module: add
 * it yourself (test scope) to use this class.
 */
public final class LocalRelayExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private final Consumer<LocalRelayServer.Builder> configuration;
  private LocalRelayServer server;
  private boolean perClass;

  private LocalRelayExtension(Consumer<LocalRelayServer.Builder> configuration) {
    this.configuration = configuration;
  }

  /** An extension with every default. */
  public static LocalRelayExtension create() {
    return builder().build();
  }

  /** A builder to configure the server the extension starts. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    perClass = true;
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!perClass) {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      stop();
    }
  }

  private synchronized void start() {
    if (server != null) {
      return;
    }
    LocalRelayServer.Builder b = LocalRelayServer.builder().autoCreate(true);
    configuration.accept(b);
    try {
      server = b.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start the local relay: " + e.getMessage(), e);
    }
  }

  private synchronized void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  /**
   * The running server.
   *
   * @throws IllegalStateException outside the extension's lifetime
   */
  public synchronized LocalRelayServer server() {
    if (server == null) {
      throw new IllegalStateException("The local relay is not running: register the extension "
          + "with @RegisterExtension and use it from a test or @BeforeAll/@BeforeEach method");
    }
    return server;
  }

  /** Connection string of the first rule with {@code EntityPath=entityPath}. */
  public String connectionString(String entityPath) {
    LocalRelayServer s = server();
    return s.connectionString(s.connectionStringRuleName(), entityPath);
  }

  /** Connection string of the first rule, without {@code EntityPath}. */
  public String connectionString() {
    return server().connectionString();
  }

  /** Configures the server of a {@link LocalRelayExtension}. */
  public static final class Builder {
    private Consumer<LocalRelayServer.Builder> configuration = b -> {};

    private Builder() {}

    /**
     * Applies {@code configurer} to the server builder (after the extension's defaults, so it
     * can override them, including {@code autoCreate(false)}). Calls accumulate in order.
     */
    public Builder configure(Consumer<LocalRelayServer.Builder> configurer) {
      Objects.requireNonNull(configurer, "configurer");
      configuration = configuration.andThen(configurer);
      return this;
    }

    /** Shortcut for {@code configure(b -> b.rule(name, key, rights))}. */
    public Builder rule(String name, String key, AccessRights... rights) {
      return configure(b -> b.rule(name, key, rights));
    }

    /** Shortcut for {@code configure(b -> b.hybridConnection(name, requiresClientAuthorization))}. */
    public Builder hybridConnection(String name, boolean requiresClientAuthorization) {
      return configure(b -> b.hybridConnection(name, requiresClientAuthorization));
    }

    /** Creates the extension; the server starts when the tests do. */
    public LocalRelayExtension build() {
      return new LocalRelayExtension(configuration);
    }
  }
}
