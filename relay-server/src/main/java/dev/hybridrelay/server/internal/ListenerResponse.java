package dev.hybridrelay.server.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A listener's {@code response} message (protocol §3.7): {@code requestId}, {@code statusCode}
 * (number or numeric string), {@code statusDescription}, {@code responseHeaders}, {@code body}.
 *
 * <p>{@link #parse} reads a control message of the plain shape {@code {"response":{…}}} with
 * Jackson's streaming parser (no tree: a third of the relay's JSON cost per small HTTP request)
 * and gives null for any other message or an unusual value type, which the caller then reads as a
 * tree ({@link #fromTree}) with the same meaning as before: both read the same fields the same way.
 */
final class ListenerResponse {
  final String requestId;
  /** The status code, or -1 when it is missing or neither an int nor a numeric string. */
  final int statusCode;
  final String statusDescription;
  /** Name/value pairs in message order (a name repeated in the message: the last value). */
  final List<String[]> headers;
  final boolean body;

  ListenerResponse(String requestId, int statusCode, String statusDescription, List<String[]> headers,
      boolean body) {
    this.requestId = requestId;
    this.statusCode = statusCode;
    this.statusDescription = statusDescription;
    this.headers = headers;
    this.body = body;
  }

  /** From the {@code response} object of a message read as a tree. */
  static ListenerResponse fromTree(JsonNode r) {
    List<String[]> headers = new ArrayList<>();
    JsonNode h = r.path("responseHeaders");
    if (h.isObject()) {
      for (Map.Entry<String, JsonNode> e : h.properties()) {
        String value = e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString();
        headers.add(new String[] {e.getKey(), value});
      }
    }
    return new ListenerResponse(r.path("requestId").asText(null), statusCode(r.get("statusCode")),
        r.path("statusDescription").asText(""), headers, r.path("body").asBoolean(false));
  }

  /** A JSON number or a numeric string; -1 otherwise. */
  static int statusCode(JsonNode n) {
    if (n == null) {
      return -1;
    }
    if (n.isInt()) {
      return n.asInt();
    }
    if (n.isTextual()) {
      return statusCode(n.asText());
    }
    return -1;
  }

  private static int statusCode(String s) {
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The message in {@code content} (not consumed) if it is exactly one {@code response} object whose
   * fields have the usual types (strings, a number or string status, an object of string or number
   * header values, a boolean body); null for anything else, including malformed JSON.
   */
  static ListenerResponse parse(JsonFactory factory, ByteBuf content) {
    try (JsonParser p = factory.createParser((java.io.InputStream) new ByteBufInputStream(content.duplicate()))) {
      if (p.nextToken() != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME
          || !"response".equals(p.currentName()) || p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String requestId = null;
      int status = -1;
      String description = "";
      List<String[]> headers = new ArrayList<>();
      boolean body = false;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (name) {
          case "requestId":
            if (v != JsonToken.VALUE_STRING) {
              return null;
            }
            requestId = p.getText();
            break;
          case "statusCode":
            if (v == JsonToken.VALUE_STRING) {
              status = statusCode(p.getText());
            } else if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
              status = p.getIntValue();
            } else if (v.isScalarValue()) {
              status = -1;
            } else {
              return null;
            }
            break;
          case "statusDescription":
            if (v != JsonToken.VALUE_STRING) {
              return null;
            }
            description = p.getText();
            break;
          case "responseHeaders":
            if (v != JsonToken.START_OBJECT) {
              return null;
            }
            headers.clear();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String hn = p.currentName();
              JsonToken hv = p.nextToken();
              if (hv != JsonToken.VALUE_STRING && hv != JsonToken.VALUE_NUMBER_INT) {
                return null;
              }
              String value = p.getText();
              // a repeated name keeps its first place and takes the last value, as in a tree
              boolean replaced = false;
              for (String[] nv : headers) {
                if (nv[0].equals(hn)) {
                  nv[1] = value;
                  replaced = true;
                  break;
                }
              }
              if (!replaced) {
                headers.add(new String[] {hn, value});
              }
            }
            break;
          case "body":
            if (v != JsonToken.VALUE_TRUE && v != JsonToken.VALUE_FALSE) {
              return null;
            }
            body = v == JsonToken.VALUE_TRUE;
            break;
          default:
            if (v.isStructStart()) {
              p.skipChildren();
            }
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null; // another top-level field (or trailing data): read as a tree
      }
      return new ListenerResponse(requestId, status, description, headers, body);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
