package dev.hybridrelay.server.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The {@code request} message of one HTTP request (protocol §3.7), written as UTF-8 JSON straight
 * into a buffer with Jackson's streaming generator (no tree and no intermediate string: a quarter
 * of the relay's CPU time per small request went to building and printing a tree).
 *
 * <p>Field order: {@code requestTarget}, {@code method}, {@code remoteEndpoint},
 * {@code requestHeaders}, {@code address}, {@code id}, {@code body}. Immutable once the exchange
 * has its id; written on the sender's loop.
 */
final class RequestMessage {
  private final String requestTarget;
  private final String method;
  private final String remoteAddress;
  private final int remotePort;
  /** Name/value pairs as the listener sees them (see {@link HttpRelayHandler#requestHeaders}). */
  private final List<String[]> headers;
  private String address;
  private String id;

  RequestMessage(String requestTarget, String method, String remoteAddress, int remotePort, List<String[]> headers) {
    this.requestTarget = requestTarget;
    this.method = method;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.headers = headers;
  }

  void rendezvous(String address, String id) {
    this.address = address;
    this.id = id;
  }

  /** The full message ({@code body} says whether a body follows). */
  ByteBuf full(JsonFactory factory, ByteBufAllocator alloc, boolean body) {
    ByteBuf out = alloc.buffer(256 + 64 * headers.size());
    boolean ok = false;
    try (JsonGenerator g = factory.createGenerator((java.io.OutputStream) new ByteBufOutputStream(out), JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeObjectFieldStart("request");
      g.writeStringField("requestTarget", requestTarget);
      g.writeStringField("method", method);
      g.writeObjectFieldStart("remoteEndpoint");
      g.writeStringField("address", remoteAddress);
      g.writeNumberField("port", remotePort);
      g.writeEndObject();
      g.writeObjectFieldStart("requestHeaders");
      for (String[] nv : headers) {
        g.writeStringField(nv[0], nv[1]);
      }
      g.writeEndObject();
      g.writeStringField("address", address);
      g.writeStringField("id", id);
      g.writeBooleanField("body", body);
      g.writeEndObject();
      g.writeEndObject();
      ok = true;
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a buffer does not fail
    } finally {
      if (!ok) {
        out.release();
      }
    }
    return out;
  }

  /** The rendezvous-only form: {@code {"request":{"address":…,"id":…}}}. */
  ByteBuf rendezvousOnly(JsonFactory factory, ByteBufAllocator alloc) {
    ByteBuf out = alloc.buffer(256);
    boolean ok = false;
    try (JsonGenerator g = factory.createGenerator((java.io.OutputStream) new ByteBufOutputStream(out), JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeObjectFieldStart("request");
      g.writeStringField("address", address);
      g.writeStringField("id", id);
      g.writeEndObject();
      g.writeEndObject();
      ok = true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (!ok) {
        out.release();
      }
    }
    return out;
  }
}
