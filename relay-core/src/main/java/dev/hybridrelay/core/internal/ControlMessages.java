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

    Message(Kind kind, Accept accept) {
      this.kind = kind;
      this.accept = accept;
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
   * Finds the message's type: an object member {@code accept} (parsed) or {@code request} (for
   * {@link #requestTree}); anything else is {@link Kind#OTHER}.
   *
   * @throws IOException if the text is not well-formed JSON up to where it was read
   */
  static Message parse(String text) throws IOException {
    try (JsonParser p = FACTORY.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return new Message(Kind.NOT_AN_OBJECT, null);
      }
      boolean request = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if ("accept".equals(name) && t == JsonToken.START_OBJECT) {
          return new Message(Kind.ACCEPT, readAccept(p));
        }
        if ("request".equals(name) && t == JsonToken.START_OBJECT) {
          request = true;
        }
        p.skipChildren();
      }
      return new Message(request ? Kind.REQUEST : Kind.OTHER, null);
    }
  }

  /** The {@code request} member of a message that {@link #parse} found to be {@link Kind#REQUEST}. */
  static JsonNode requestTree(String text) throws IOException {
    return mapper().readTree(text).get("request");
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
