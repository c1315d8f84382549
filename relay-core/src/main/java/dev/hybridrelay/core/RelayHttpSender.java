package dev.hybridrelay.core;

import dev.hybridrelay.core.internal.RelayUris;
import dev.hybridrelay.core.internal.TokenCache;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Sends plain HTTP requests to a hybrid connection (request mode) with any stock HTTP client:
 * builds the request URL and supplies the relay token, so no signing code is written by hand.
 *
 * <pre>{@code
 * RelayHttpSender relay = RelayHttpSender.create(connectionString);
 * // java.net.http
 * HttpResponse<String> r = HttpClient.newHttpClient()
 *     .send(relay.newRequest("/orders/17").GET().build(), BodyHandlers.ofString());
 * // OkHttp (or any client): one header
 * Request req = new Request.Builder().url(relay.uri("/orders/17").toString())
 *     .header(RelayHttpSender.TOKEN_HEADER, relay.token()).build();
 * }</pre>
 *
 * <p>The URL is {@code https://{namespace}/{hc}{path}} ({@code http} for a local relay without
 * TLS, i.e. {@code UseDevelopmentEmulator=true} or a {@code ws://} endpoint), the token goes in the
 * {@value #TOKEN_HEADER} header, which the relay removes before the request reaches the listener.
 *
 * <p>Threads: thread-safe. Tokens are cached and renewed at 80 % of their lifetime (default
 * lifetime 1 h); {@link #token()} may call the token provider (for SAS keys: a local HMAC).
 */
public final class RelayHttpSender {
  /** The header that carries the relay token on an HTTP request. */
  public static final String TOKEN_HEADER = "ServiceBusAuthorization";

  private final RelayConnectionString connectionString;
  private final TokenCache tokens;
  private final String base;

  private RelayHttpSender(RelayConnectionString cs, TokenProvider provider, Duration validity) {
    if (cs.entityPath() == null) {
      throw new IllegalArgumentException("No hybrid connection given: add EntityPath=... to the connection string");
    }
    this.connectionString = cs;
    this.tokens = new TokenCache(provider, RelayUris.audience(cs), validity);
    URI e = cs.endpoint();
    String scheme = RelayUris.webSocketScheme(cs).equals("ws") ? "http" : "https";
    String host = e.getHost().indexOf(':') >= 0 && !e.getHost().startsWith("[") ? "[" + e.getHost() + "]" : e.getHost();
    this.base = scheme + "://" + host + (e.getPort() >= 0 ? ":" + e.getPort() : "") + "/" + cs.entityPath();
  }

  /** For the hybrid connection named by the connection string's {@code EntityPath}. */
  public static RelayHttpSender create(String connectionString) {
    return create(RelayConnectionString.parse(connectionString));
  }

  /** For the hybrid connection named by the connection string's {@code EntityPath}. */
  public static RelayHttpSender create(RelayConnectionString connectionString) {
    Objects.requireNonNull(connectionString, "connectionString");
    return new RelayHttpSender(connectionString, connectionString.tokenProvider(), Duration.ofHours(1));
  }

  /** With tokens from {@code provider} (lifetime {@code validity}). */
  public static RelayHttpSender create(RelayConnectionString connectionString, TokenProvider provider,
      Duration validity) {
    Objects.requireNonNull(connectionString, "connectionString");
    Objects.requireNonNull(validity, "validity");
    return new RelayHttpSender(connectionString, provider, validity);
  }

  /** The hybrid connection's HTTP address, e.g. {@code https://contoso.servicebus.windows.net/hyco}. */
  public URI uri() {
    return URI.create(base);
  }

  /**
   * The address of {@code pathAndQuery} below the hybrid connection, e.g. {@code /orders/17?x=1};
   * it must already be percent-encoded (a leading {@code /} is added if missing).
   *
   * @throws IllegalArgumentException if the result is not a valid URI
   */
  public URI uri(String pathAndQuery) {
    if (pathAndQuery == null || pathAndQuery.isEmpty()) {
      return uri();
    }
    String p = pathAndQuery.startsWith("/") || pathAndQuery.startsWith("?") ? pathAndQuery : "/" + pathAndQuery;
    return URI.create(base + p);
  }

  /**
   * The current relay token (a {@code SharedAccessSignature …} string) for the
   * {@value #TOKEN_HEADER} header, or {@code null} if the connection string has no credentials (a
   * hybrid connection that does not require client authorization).
   *
   * @throws IOException if the token provider fails
   */
  public String token() throws IOException {
    SecurityToken t = tokens.get();
    return t == null ? null : t.token();
  }

  /** The headers to add to a request: the token header, or none without credentials. */
  public Map<String, String> headers() throws IOException {
    String t = token();
    return t == null ? Map.of() : Map.of(TOKEN_HEADER, t);
  }

  /** A {@code java.net.http} request builder for {@code pathAndQuery}, with the token header set. */
  public HttpRequest.Builder newRequest(String pathAndQuery) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery));
    headers().forEach(b::header);
    return b;
  }

  @Override
  public String toString() {
    return "RelayHttpSender{" + base + "}";
  }

  RelayConnectionString connectionString() {
    return connectionString;
  }
}
