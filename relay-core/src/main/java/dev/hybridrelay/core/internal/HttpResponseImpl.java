package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayHttpResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.util.Map;
import java.util.TreeMap;

/**
 * A response: buffered up to {@value #INLINE_LIMIT} bytes and sent in one piece when it completes in
 * time, otherwise committed and streamed over the request's rendezvous socket (opened on demand
 * for an inline request). Used by the handler's thread; all state is guarded by this object.
 */
final class HttpResponseImpl implements RelayHttpResponse {
  static final int INLINE_LIMIT = 64 * 1024;
  static final long SWITCH_AFTER_NANOS = 2_000_000_000L;
  private static final String[] CONNECTION_HEADERS = {"connection", "keep-alive",
      "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"};

  /** How a response leaves the listener. */
  interface Transport {
    /** Sends the response message (and body, if any) on the control channel, back to back. */
    void sendInline(byte[] json, byte[] body) throws IOException;

    /** Opens the request's rendezvous socket (inline requests that switch to streaming). */
    HttpRendezvousSocket openRendezvous() throws IOException;
  }

  private final String requestId;
  private final Transport transport;
  private HttpRendezvousSocket rendezvous;
  private int status = 200;
  private String description;
  private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  /** The buffered start of the body; grows up to {@value #INLINE_LIMIT} bytes as needed. */
  private byte[] buffer = EMPTY;
  private static final byte[] EMPTY = new byte[0];
  private int count;
  private long firstWriteNanos;
  private boolean committed;
  private boolean streaming;
  private boolean completed;
  private final Body body = new Body();

  HttpResponseImpl(String requestId, Transport transport, HttpRendezvousSocket rendezvous) {
    this.requestId = requestId;
    this.transport = transport;
    this.rendezvous = rendezvous;
  }

  @Override
  public synchronized void setStatus(int statusCode) {
    if (statusCode < 200 || statusCode > 999) {
      throw new IllegalArgumentException("HTTP status out of range 200..999: " + statusCode);
    }
    if (!committed) {
      status = statusCode;
    }
  }

  @Override
  public synchronized int status() {
    return status;
  }

  @Override
  public synchronized void setStatusDescription(String description) {
    if (!committed) {
      this.description = description;
    }
  }

  @Override
  public Map<String, String> headers() {
    return headers;
  }

  @Override
  public OutputStream body() {
    return body;
  }

  @Override
  public synchronized boolean isCommitted() {
    return committed;
  }

  private byte[] json(boolean withBody) {
    java.util.List<Map.Entry<String, String>> sent = new java.util.ArrayList<>();
    synchronized (headers) {
      for (Map.Entry<String, String> e : headers.entrySet()) {
        if (e.getKey() != null && e.getValue() != null && !isConnectionHeader(e.getKey())) {
          sent.add(e);
        }
      }
    }
    try {
      return ControlMessages.response(requestId, status, description != null ? description : StandardReasons.of(status),
          sent, withBody);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // writing to a byte array does not fail
    }
  }

  private static boolean isConnectionHeader(String name) {
    for (String c : CONNECTION_HEADERS) {
      if (c.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  private synchronized void write(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (completed) {
      throw new IOException("The response is complete");
    }
    if (len == 0) {
      return;
    }
    if (!streaming) {
      long now = System.nanoTime();
      if (firstWriteNanos == 0) {
        firstWriteNanos = now == 0 ? 1 : now;
      }
      if (count + len <= INLINE_LIMIT && now - firstWriteNanos < SWITCH_AFTER_NANOS) {
        if (count + len > buffer.length) {
          int size = Math.min(INLINE_LIMIT, Math.max(count + len, buffer.length * 2 + 256));
          buffer = java.util.Arrays.copyOf(buffer, size);
        }
        System.arraycopy(b, off, buffer, count, len);
        count += len;
        return;
      }
      startStreaming();
    }
    rendezvous.sendFragment(b, off, len, false);
  }

  private void startStreaming() throws IOException {
    committed = true;
    streaming = true;
    if (rendezvous == null) {
      rendezvous = transport.openRendezvous();
    }
    rendezvous.sendText(json(true));
    if (count > 0) {
      rendezvous.sendFragment(buffer, 0, count, false);
      count = 0;
    }
  }

  private synchronized void flush() throws IOException {
    if (!completed && !streaming) {
      startStreaming();
    }
  }

  /** Completes the response (idempotent); closes the rendezvous socket, if any. */
  synchronized void complete() throws IOException {
    if (completed) {
      return;
    }
    completed = true;
    try {
      if (streaming) {
        rendezvous.sendFragment(new byte[0], 0, 0, true);
      } else {
        committed = true;
        byte[] data = count == 0 ? null : count == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, count);
        if (rendezvous != null) {
          rendezvous.sendText(json(data != null));
          if (data != null) {
            rendezvous.sendFragment(data, 0, data.length, true);
          }
        } else {
          transport.sendInline(json(data != null), data);
        }
      }
    } finally {
      if (rendezvous != null) {
        rendezvous.finish();
      }
    }
  }

  /**
   * The handler failed: a 500 if nothing was sent yet, else the rendezvous socket is dropped so that
   * the sender sees a broken response rather than a truncated one passing as complete.
   */
  synchronized void fail() {
    if (completed && !streaming) {
      return;
    }
    if (!committed) {
      status = 500;
      description = null;
      synchronized (headers) {
        headers.clear();
      }
      count = 0;
      try {
        complete();
      } catch (IOException e) {
        abort();
      }
      return;
    }
    completed = true;
    abort();
  }

  synchronized void abort() {
    completed = true;
    if (rendezvous != null) {
      rendezvous.abort();
    }
  }

  private final class Body extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      HttpResponseImpl.this.write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      HttpResponseImpl.this.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      HttpResponseImpl.this.flush();
    }

    @Override
    public void close() throws IOException {
      complete();
    }
  }

  /** Standard reason phrases, as the .NET SDK fills them. */
  static final class StandardReasons {
    private StandardReasons() {}

    static String of(int status) {
      switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 413: return "Payload Too Large";
        case 415: return "Unsupported Media Type";
        case 418: return "I'm a teapot";
        case 422: return "Unprocessable Entity";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "";
      }
    }
  }

  static SocketException closed() {
    return new SocketException("Connection reset: the request's connection is closed");
  }
}
