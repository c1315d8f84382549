package dev.hybridrelay.core.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the listener's control-channel messages with Jackson's streaming API.
 *
 * <p>The {@code accept} and {@code request} messages and the message-type dispatch are parsed with a
 * {@link JsonParser} from one shared {@link JsonFactory} into typed objects, and {@code renewToken}
 * and {@code response} are written with a {@link JsonGenerator}, so that a listener never loads
 * jackson-databind on its usual paths (its {@code ObjectMapper} costs about 0.1 s of class loading at
 * start, and a tree per request cost about 5 % of a {@code forward -H} listener's CPU). The mapper
 * from {@link #mapper()}, created on first use, reads only what the usual paths do not: a request
 * header whose value is an object or an array.
 *
 * <p>Thread-safe: the factory and the mapper are shared, parsers and generators are per call.
 */
final class ControlMessages {
  private static final JsonFactory FACTORY = new JsonFactory();

  private ControlMessages() {
  }

  /** The shared databind mapper, created when first asked for (an HTTP request, a test). */
  static ObjectMapper mapper() {
    return MapperHolder.MAPPER;
  }

  private static final class MapperHolder {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  /** What a control message is. */
  enum Kind { ACCEPT, REQUEST, OTHER, NOT_AN_OBJECT }

  /** A parsed control message: its kind, and for {@code accept} its fields. */
  static final class Message {
    final Kind kind;
    final Accept accept;
    /** For {@link Kind#REQUEST}: the {@code request} member, read in the same pass. */
    final Request request;

    Message(Kind kind, Accept accept) {
      this(kind, accept, null);
    }

    Message(Kind kind, Accept accept, Request request) {
      this.kind = kind;
      this.accept = accept;
      this.request = request;
    }
  }

  /** The fields of an {@code accept} message the listener uses. */
  static final class Accept {
    String address;
    String id = "";
    final Map<String, String> connectHeaders = new LinkedHashMap<>();
    /** Null without a {@code remoteEndpoint.address}. */
    Endpoint remote;
  }

  /**
   * A {@code remoteEndpoint}: {@code address} as a string (a JSON {@code null} as {@code "null"}, an
   * object or array as {@code ""}), {@code port} as a number (0 otherwise), as the SDKs read them.
   */
  static final class Endpoint {
    String address;
    int port;
  }

  /**
   * The fields of a {@code request} message (protocol §3.7), read as the SDKs read them: a missing
   * or {@code null} string field takes its default, a number or boolean its text; {@code body} is
   * true for {@code true}, the text {@code "true"} or a non-zero number. Whether {@code method} was
   * present at all tells the inline form (present) from the rendezvous-only form (absent).
   */
  static final class Request {
    String id = "";
    String address = "";
    boolean hasMethod;
    String method = "GET";
    String requestTarget = "/";
    /** Case-insensitive names; a value that is not a string is given as its JSON text. */
    Map<String, String> requestHeaders = Collections.emptyMap();
    /** Null without a {@code remoteEndpoint.address}. */
    Endpoint remote;
    boolean body;
  }

  /**
   * Finds the message's type in one pass over the text: an object member {@code accept} or
   * {@code request} (parsed, {@link Message#accept} and {@link Message#request}); anything else is
   * {@link Kind#OTHER}.
   *
   * @throws IOException if the text is not well-formed JSON up to where it was read
   */
  static Message parse(String text) throws IOException {
    try (JsonParser p = FACTORY.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return new Message(Kind.NOT_AN_OBJECT, null);
      }
      Request request = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if ("accept".equals(name) && t == JsonToken.START_OBJECT) {
          return new Message(Kind.ACCEPT, readAccept(p));
        }
        if ("request".equals(name) && t == JsonToken.START_OBJECT) {
          request = readRequest(p); // leaves the parser on the object's END_OBJECT
        } else {
          p.skipChildren();
        }
      }
      return request != null ? new Message(Kind.REQUEST, null, request) : new Message(Kind.OTHER, null);
    }
  }

  /** Reads the members of the {@code request} object the parser is on (after START_OBJECT). */
  private static Request readRequest(JsonParser p) throws IOException {
    Request r = new Request();
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      t = p.nextToken();
      switch (name) {
        case "id":
          r.id = text(p, t, "");
          break;
        case "address":
          r.address = text(p, t, "");
          break;
        case "method":
          r.hasMethod = true;
          r.method = text(p, t, "GET");
          break;
        case "requestTarget":
          r.requestTarget = text(p, t, "/");
          break;
        case "body":
          r.body = t == JsonToken.VALUE_TRUE
              || t == JsonToken.VALUE_STRING && "true".equals(p.getText().trim())
              || t == JsonToken.VALUE_NUMBER_INT && p.getValueAsLong() != 0
              || t == JsonToken.VALUE_NUMBER_FLOAT && p.getValueAsDouble() != 0;
          break;
        case "requestHeaders":
          if (t == JsonToken.START_OBJECT) {
            Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String n = p.currentName();
              JsonToken v = p.nextToken();
              h.put(n, v == JsonToken.VALUE_STRING ? p.getText()
                  : v.isStructStart() ? mapper().readTree(p).toString() : p.getText());
            }
            r.requestHeaders = Collections.unmodifiableMap(h);
          }
          break;
        case "remoteEndpoint":
          r.remote = readEndpoint(p, t);
          break;
        default:
          break;
      }
      p.skipChildren();
    }
    if (t != JsonToken.END_OBJECT) {
      throw new IOException("malformed request message");
    }
    return r;
  }

  /** The {@code remoteEndpoint} value the parser is on ({@code t}); null without an address. */
  private static Endpoint readEndpoint(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_OBJECT) {
      return null;
    }
    Endpoint e = new Endpoint();
    boolean hasAddress = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken v = p.nextToken();
      if ("address".equals(f)) {
        hasAddress = true;
        e.address = v == JsonToken.VALUE_NULL ? "null" : v.isScalarValue() ? p.getValueAsString("") : "";
      } else if ("port".equals(f)) {
        e.port = v.isScalarValue() ? p.getValueAsInt(0) : 0;
      }
      p.skipChildren();
    }
    return hasAddress ? e : null;
  }

  /** A string member as the SDKs read it: null → {@code dflt}, a number or boolean → its text. */
  private static String text(JsonParser p, JsonToken t, String dflt) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return dflt;
    }
    return t.isStructStart() ? "" : p.getText();
  }

  private static Accept readAccept(JsonParser p) throws IOException {
    Accept a = new Accept();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken t = p.nextToken();
      switch (name) {
        case "address":
          a.address = t.isScalarValue() ? p.getValueAsString() : null;
          break;
        case "id":
          a.id = t.isScalarValue() ? p.getValueAsString("") : "";
          break;
        case "connectHeaders":
          if (t == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String h = p.currentName();
              JsonToken v = p.nextToken();
              a.connectHeaders.put(h, v.isScalarValue() && v != JsonToken.VALUE_NULL
                  ? p.getValueAsString("") : v == JsonToken.VALUE_NULL ? "null" : "");
              p.skipChildren();
            }
          }
          break;
        case "remoteEndpoint":
          a.remote = readEndpoint(p, t);
          break;
        default:
          break;
      }
      p.skipChildren();
    }
    return a;
  }

  /**
   * {@code {"response":{requestId,statusCode,statusDescription,responseHeaders,body}}} as UTF-8,
   * written with the streaming generator straight to bytes (no tree, no intermediate string: the
   * text frame carries these bytes); {@code headers} are written as given.
   */
  static byte[] response(String requestId, int status, String description, Iterable<Map.Entry<String, String>> headers,
      boolean body) throws IOException {
    ByteArrayBuilder w = new ByteArrayBuilder(256);
    try (JsonGenerator g = FACTORY.createGenerator(w, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeObjectFieldStart("response");
      g.writeStringField("requestId", requestId);
      g.writeNumberField("statusCode", status);
      g.writeStringField("statusDescription", description);
      g.writeObjectFieldStart("responseHeaders");
      for (Map.Entry<String, String> e : headers) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      g.writeBooleanField("body", body);
      g.writeEndObject();
      g.writeEndObject();
    }
    return w.toByteArray();
  }

  /** {@code {"renewToken":{"token":...}}}. */
  static String renewToken(String token) throws IOException {
    StringWriter w = new StringWriter(token.length() + 32);
    try (JsonGenerator g = FACTORY.createGenerator(w)) {
      g.writeStartObject();
      g.writeObjectFieldStart("renewToken");
      g.writeStringField("token", token);
      g.writeEndObject();
      g.writeEndObject();
    }
    return w.toString();
  }
}
