package dev.hybridrelay.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one-pass reading of control messages and the streaming writing of responses. */
class ControlMessagesTest {
  @Test
  void requestMessageIsReadInOnePassWithItsTree() throws IOException {
    ControlMessages.Message m = ControlMessages.parse("{\"x\":[1,{\"request\":{}}],\"request\":{\"address\":\"wss://a/b\","
        + "\"id\":\"r1\",\"requestTarget\":\"/hc/p?q=1\",\"method\":\"POST\",\"requestHeaders\":{\"A\":\"1\"},"
        + "\"remoteEndpoint\":{\"address\":\"10.0.0.1\",\"port\":5},\"body\":true},\"y\":null}");
    assertThat(m.kind).isEqualTo(ControlMessages.Kind.REQUEST);
    JsonNode r = m.request;
    assertThat(r.path("id").asText()).isEqualTo("r1");
    assertThat(r.path("method").asText()).isEqualTo("POST");
    assertThat(r.path("requestHeaders").path("A").asText()).isEqualTo("1");
    assertThat(r.path("remoteEndpoint").path("port").asInt()).isEqualTo(5);
    assertThat(r.path("body").asBoolean()).isTrue();
  }

  @Test
  void otherMessagesCarryNoRequest() throws IOException {
    assertThat(ControlMessages.parse("{\"request\":5}").kind).isEqualTo(ControlMessages.Kind.OTHER);
    assertThat(ControlMessages.parse("{\"request\":5}").request).isNull();
    assertThat(ControlMessages.parse("[1]").kind).isEqualTo(ControlMessages.Kind.NOT_AN_OBJECT);
    ControlMessages.Message a = ControlMessages.parse("{\"accept\":{\"address\":\"wss://a/b\",\"id\":\"c1\"}}");
    assertThat(a.kind).isEqualTo(ControlMessages.Kind.ACCEPT);
    assertThat(a.accept.id).isEqualTo("c1");
    assertThat(a.request).isNull();
  }

  @Test
  void malformedRequestIsAnError() {
    assertThatThrownBy(() -> ControlMessages.parse("{\"request\":{\"id\":\"r1\",}}")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> ControlMessages.parse("{\"request\":{\"id\":\"r1\"")).isInstanceOf(IOException.class);
  }

  @Test
  void responseIsTheProtocolsShapeWithEscaping() throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "text/plain");
    h.put("X-Q", "a\"b\\c\u00e9");
    String json = ControlMessages.response("r1", 404, "Not Found", h.entrySet(), true);
    JsonNode n = ControlMessages.mapper().readTree(json).path("response");
    assertThat(n.path("requestId").asText()).isEqualTo("r1");
    assertThat(n.path("statusCode").isInt()).isTrue();
    assertThat(n.path("statusCode").asInt()).isEqualTo(404);
    assertThat(n.path("statusDescription").asText()).isEqualTo("Not Found");
    assertThat(n.path("responseHeaders").path("X-Q").asText()).isEqualTo("a\"b\\c\u00e9");
    assertThat(n.path("responseHeaders").size()).isEqualTo(2);
    assertThat(n.path("body").asBoolean()).isTrue();
  }
}
