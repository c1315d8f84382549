package dev.hybridrelay.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the listener's control-channel messages with Jackson's streaming API.
 *
 * <p>The {@code accept} message and the message-type dispatch are parsed with a {@link JsonParser}
 * from one shared {@link JsonFactory}, and {@code renewToken} is written with a {@link JsonGenerator},
 * so that a listener that only accepts connections never loads jackson-databind (whose
 * {@code ObjectMapper} costs about 0.1 s of class loading at start). HTTP request-mode messages still
 * use a databind tree from {@link #mapper()}, created on first use.
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
    final JsonNode request;

    Message(Kind kind, Accept accept) {
      this(kind, accept, null);
    }

    Message(Kind kind, Accept accept, JsonNode request) {
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
    String remoteAddress;
    int remotePort;
  }

  /**
   * Finds the message's type in one pass over the text: an object member {@code accept} (parsed)
   * or {@code request} (read as a databind tree, {@link Message#request}); anything else is {@link
   * Kind#OTHER}.
   *
   * @throws IOException if the text is not well-formed JSON up to where it was read
   */
  static Message parse(String text) throws IOException {
    try (JsonParser p = FACTORY.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return new Message(Kind.NOT_AN_OBJECT, null);
      }
      JsonNode request = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if ("accept".equals(name) && t == JsonToken.START_OBJECT) {
          return new Message(Kind.ACCEPT, readAccept(p));
        }
        if ("request".equals(name) && t == JsonToken.START_OBJECT) {
          request = mapper().readTree(p); // leaves the parser on the object's END_OBJECT
        } else {
          p.skipChildren();
        }
      }
      return request != null ? new Message(Kind.REQUEST, null, request) : new Message(Kind.OTHER, null);
    }
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
          if (t == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String f = p.currentName();
              JsonToken v = p.nextToken();
              if ("address".equals(f)) {
                a.remoteAddress = v == JsonToken.VALUE_NULL ? "null"
                    : v.isScalarValue() ? p.getValueAsString("") : "";
              } else if ("port".equals(f)) {
                a.remotePort = v.isScalarValue() ? p.getValueAsInt(0) : 0;
              }
              p.skipChildren();
            }
          }
          break;
        default:
          break;
      }
      p.skipChildren();
    }
    return a;
  }

  /**
   * {@code {"response":{requestId,statusCode,statusDescription,responseHeaders,body}}}, written
   * with the streaming generator (no tree); {@code headers} are written as given.
   */
  static String response(String requestId, int status, String description, Iterable<Map.Entry<String, String>> headers,
      boolean body) throws IOException {
    StringWriter w = new StringWriter(256);
    try (JsonGenerator g = FACTORY.createGenerator(w)) {
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
    return w.toString();
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
