package dev.hybridrelay.core;

import com.sun.net.httpserver.HttpHandler;
import java.util.Objects;

/**
 * Answers the plain HTTP requests that senders send to a hybrid connection (request mode): set on
 * {@link RelayListener.Builder#requestHandler}.
 *
 * <pre>{@code
 * RelayListener listener = RelayListener.builder(cs)
 *     .requestHandler((request, response) -> {
 *       response.setStatus(200);
 *       response.headers().put("Content-Type", "text/plain");
 *       response.body().write("hello".getBytes(StandardCharsets.UTF_8));
 *     })
 *     .build();
 * }</pre>
 *
 * <h2>Threads</h2>
 * Each request runs on a daemon thread of the listener's request pool
 * ({@code hybridrelay-listener-N-http-…}, at most {@link RelayListener.Builder#maxConcurrentRequests}
 * at once), concurrently with other requests and with accepted connections. The handler may block
 * (read the body, call a database); the relay answers the sender 504 if the response head does
 * not arrive within its deadline (60 s on the service).
 *
 * <h2>Completion and failures</h2>
 * The response is complete when the handler closes {@link RelayHttpResponse#body()} or returns.
 * A handler that throws before anything was sent produces 500 "Internal Server Error"; after the
 * response was committed the request's connection is dropped, and the sender sees a broken
 * response. Both are logged (method, path without query, request id; never headers or tokens).
 */
@FunctionalInterface
public interface RelayRequestHandler {

  /** Handles one request; see the class documentation for threads and failures. */
  void handle(RelayHttpRequest request, RelayHttpResponse response) throws Exception;

  /**
   * Serves an existing JDK {@link HttpHandler} (package {@code com.sun.net.httpserver}) through the
   * relay: {@code .requestHandler(RelayRequestHandler.of(myHandler))}. The exchange passed to it
   * reports the path below the hybrid connection as {@link com.sun.net.httpserver.HttpExchange#getRequestURI()},
   * the sender's address as remote address, and {@code null} as HTTP context; attributes are per
   * request. {@code sendResponseHeaders(code, length)} follows the JDK's rules ({@code -1}: no
   * body; {@code 0}: any length).
   */
  static RelayRequestHandler of(HttpHandler handler) {
    Objects.requireNonNull(handler, "handler");
    return (request, response) -> dev.hybridrelay.core.internal.JdkHttpExchange.serve(handler, request, response);
  }
}
