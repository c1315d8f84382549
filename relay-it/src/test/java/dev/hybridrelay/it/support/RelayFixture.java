package dev.hybridrelay.it.support;

import dev.hybridrelay.server.AccessRights;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * A started {@link LocalRelayServer} on 127.0.0.1 with known keys: rule {@value #RULE} (all
 * rights), {@value #SEND_RULE} (send only), {@value #LISTEN_RULE} (listen only); hybrid
 * connections are auto-created by listeners.
 */
public final class RelayFixture implements AutoCloseable {
  /** Manage/listen/send rule name. */
  public static final String RULE = "RootManageSharedAccessKey";
  /** Send-only rule name. */
  public static final String SEND_RULE = "send-only";
  /** Listen-only rule name. */
  public static final String LISTEN_RULE = "listen-only";

  /** Key of {@link #RULE}. */
  public final String key;
  /** Key of {@link #SEND_RULE}. */
  public final String sendKey = LocalRelayServer.Builder.randomKey();
  /** Key of {@link #LISTEN_RULE}. */
  public final String listenKey = LocalRelayServer.Builder.randomKey();
  private final LocalRelayServer server;

  private RelayFixture(String key, UnaryOperator<LocalRelayServer.Builder> custom, int port)
      throws IOException {
    this.key = key;
    LocalRelayServer.Builder b = LocalRelayServer.builder().port(port).autoCreate(true)
        .rule(RULE, key)
        .rule(SEND_RULE, sendKey, AccessRights.SEND)
        .rule(LISTEN_RULE, listenKey, AccessRights.LISTEN);
    this.server = custom.apply(b).build().start();
  }

  /** A relay with default limits. */
  public static RelayFixture start() throws IOException {
    return start(b -> b);
  }

  /** A relay with builder customisations. */
  public static RelayFixture start(UnaryOperator<LocalRelayServer.Builder> custom)
      throws IOException {
    return new RelayFixture(LocalRelayServer.Builder.randomKey(), custom, 0);
  }

  /** A relay with a given key and builder customisations (for canary tests). */
  public static RelayFixture start(String key, UnaryOperator<LocalRelayServer.Builder> custom)
      throws IOException {
    return new RelayFixture(key, custom, 0);
  }

  /** The server. */
  public LocalRelayServer server() {
    return server;
  }

  /** The bound port. */
  public int port() {
    return server.port();
  }

  /** Connection string for {@code entity} with the manage rule. */
  public String connectionString(String entity) {
    return server.connectionString(RULE, entity);
  }

  /** A manage-rule token for {@code entity}. */
  public String token(String entity) {
    return Sas.token(RULE, key, entity);
  }

  /** {@code ws://127.0.0.1:port/$hc/{entity}?sb-hc-action=connect&sb-hc-token=…}. */
  public URI senderUri(String entity) {
    return URI.create("ws://127.0.0.1:" + port() + "/$hc/" + entity
        + "?sb-hc-action=connect&sb-hc-token=" + Sas.enc(token(entity)));
  }

  /** {@code ws://127.0.0.1:port/$hc/{entity}?sb-hc-action=listen&sb-hc-token=…}. */
  public URI listenUri(String entity) {
    return URI.create("ws://127.0.0.1:" + port() + "/$hc/" + entity
        + "?sb-hc-action=listen&sb-hc-token=" + Sas.enc(token(entity)));
  }

  /** Waits until {@code entity} has {@code count} listeners. */
  public void awaitListeners(String entity, int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (server.listenerCount(entity) != count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("listeners on " + entity + ": " + server.listenerCount(entity)
            + ", expected " + count);
      }
      sleep(10);
    }
  }

  @Override
  public void close() {
    server.shutdown(Duration.ZERO);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
