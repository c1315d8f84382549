package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.SecurityToken;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The sender implementation behind {@code RelaySender}. */
public final class SenderImpl {
  private static final Logger log = LoggerFactory.getLogger(SenderImpl.class);
  /** The lifetime asked of the token provider for sender tokens. */
  static final Duration TOKEN_VALIDITY = Duration.ofHours(1);

  private final SenderConfig config;
  private final TokenCache tokens;

  public SenderImpl(SenderConfig config) {
    this.config = config;
    this.tokens = new TokenCache(config.tokenProvider(), RelayUris.audience(config.connectionString()), TOKEN_VALIDITY);
  }

  /**
   * Opens one connection; a new {@code sb-hc-id} GUID each time.
   *
   * @param timeout null for the configured connect timeout
   */
  public RelayConnection connect(Duration timeout) throws IOException {
    return connect(timeout, Map.of(), Map.of());
  }

  /**
   * A version-4 UUID from {@link java.util.concurrent.ThreadLocalRandom}: a tracking id has to be
   * unique, not unguessable, and {@link UUID#randomUUID()} takes the shared {@code SecureRandom}
   * for every connection.
   */
  static String trackingId() {
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    long hi = (r.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L;
    long lo = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
    return new UUID(hi, lo).toString();
  }

  /**
   * Opens one connection with extra query parameters and headers (after the configured ones).
   *
   * @param timeout null for the configured connect timeout
   */
  public RelayConnection connect(Duration timeout, Map<String, String> extraQuery, Map<String, String> extraHeaders)
      throws IOException {
    Duration t = timeout == null || timeout.isZero() || timeout.isNegative() ? config.connectTimeout() : timeout;
    String trackingId = trackingId();
    Map<String, java.util.List<String>> query = config.query();
    if (!extraQuery.isEmpty()) {
      query = new LinkedHashMap<>(query);
      for (Map.Entry<String, String> e : extraQuery.entrySet()) {
        java.util.List<String> values = new java.util.ArrayList<>(query.getOrDefault(e.getKey(), java.util.List.of()));
        values.add(e.getValue());
        query.put(e.getKey(), values);
      }
    }
    URI uri = RelayUris.connectUri(config.connectionString(), config.pathSuffix(), query, trackingId);
    Map<String, String> headers = new LinkedHashMap<>(config.headers());
    headers.putAll(extraHeaders);
    headers.put("Relay-User-Agent", UserAgent.VALUE);
    SecurityToken token = tokens.get();
    if (token != null) {
      headers.put("ServiceBusAuthorization", token.token());
    }
    RelayWebSocket ws = new RelayWebSocket("sender", uri, headers, config.subprotocols(),
        config.maxIncomingMessageSize(), (int) Math.min(Integer.MAX_VALUE, t.toMillis()), trackingId);
    ConnectionImpl conn = new ConnectionImpl(ws, config.receiveWindow(), config.sendWindow(),
        config.maxMessageSize(), config.keepAliveInterval(), null, Map.of(), trackingId);
    ws.setHandler(conn);
    log.debug("Connecting to {} (sb-hc-id {})", ws.safeUri(), trackingId);
    ws.open(config.sslContext(), config.proxy(), t.toMillis());
    conn.start(c -> { });
    log.debug("Connected to {} (sb-hc-id {})", ws.safeUri(), trackingId);
    return conn;
  }

  public URI address() {
    URI e = config.connectionString().endpoint();
    return URI.create(e.getScheme() + "://" + e.getRawAuthority() + "/" + config.connectionString().entityPath());
  }
}
