package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayHttpRequest;
import dev.hybridrelay.core.RelayHttpResponse;
import dev.hybridrelay.core.RelayRequestHandler;

/**
 * A request handler that can answer inline requests without a request thread: {@link #handleInline}
 * runs on the listener's I/O thread for each request of the inline form (body at most 64 KiB, already
 * in memory) and either takes the request ({@code true}) or leaves it to {@link #handle} on a request
 * thread as usual ({@code false}). Internal: the HTTP forwarder's non-blocking path to its target.
 */
public interface InlineRequestHandler extends RelayRequestHandler {
  /**
   * Called on the listener's I/O thread; must not block. Returning {@code true} makes the handler
   * the owner of the exchange: it must end it with exactly one of {@link Exchange#complete},
   * {@link Exchange#fail} or {@link Exchange#dispatch}. A handler that throws here gets the
   * request answered with 500.
   */
  boolean handleInline(Exchange exchange);

  /** One inline request taken by {@link #handleInline}. Its methods may be called from any thread. */
  interface Exchange {
    RelayHttpRequest request();

    /**
     * The response: status, headers and at most 64 KiB of body written before {@link #complete},
     * which then sends it inline (no blocking).
     */
    RelayHttpResponse response();

    /** The I/O loop of the listener's control channel (the thread that called handleInline). */
    IoLoop loop();

    /** Sends the response inline; on the loop thread it joins the other answers of the same round. */
    void complete();

    /** Answers 500 if nothing was sent, as for a handler that throws. */
    void fail(Throwable cause);

    /**
     * Continues on a request thread: {@code work} runs like a {@link RelayRequestHandler} (the
     * response completes when it returns and fails when it throws), so it may block and stream.
     *
     * @return false if {@code work} will not run: the listener is closed, or {@value
     *     ListenerHttp#QUEUE} requests are waiting (then answered with 503)
     */
    boolean dispatch(RelayRequestHandler work);
  }
}
