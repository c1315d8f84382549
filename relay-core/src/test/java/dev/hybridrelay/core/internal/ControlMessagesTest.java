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
  void requestMessageIsReadInOnePass() throws IOException {
    ControlMessages.Message m = ControlMessages.parse("{\"x\":[1,{\"request\":{}}],\"request\":{\"address\":\"wss://a/b\","
        + "\"id\":\"r1\",\"requestTarget\":\"/hc/p?q=1\",\"method\":\"POST\",\"requestHeaders\":{\"A\":\"1\"},"
        + "\"remoteEndpoint\":{\"address\":\"10.0.0.1\",\"port\":5},\"body\":true,\"extra\":{\"n\":[1]}},\"y\":null}");
    assertThat(m.kind).isEqualTo(ControlMessages.Kind.REQUEST);
    ControlMessages.Request r = m.request;
    assertThat(r.id).isEqualTo("r1");
    assertThat(r.address).isEqualTo("wss://a/b");
    assertThat(r.hasMethod).isTrue();
    assertThat(r.method).isEqualTo("POST");
    assertThat(r.requestTarget).isEqualTo("/hc/p?q=1");
    assertThat(r.requestHeaders).containsEntry("A", "1").containsEntry("a", "1").hasSize(1);
    assertThat(r.remote).isNotNull();
    assertThat(r.remote.address).isEqualTo("10.0.0.1");
    assertThat(r.remote.port).isEqualTo(5);
    assertThat(r.body).isTrue();
  }

  @Test
  void rendezvousFormHasNeitherMethodNorBody() throws IOException {
    ControlMessages.Request r = ControlMessages.parse("{\"request\":{\"address\":\"wss://a/$hc/b?sb-hc-action=request\","
        + "\"id\":\"r2\"}}").request;
    assertThat(r.hasMethod).isFalse();
    assertThat(r.body).isFalse();
    assertThat(r.method).isEqualTo("GET");
    assertThat(r.requestTarget).isEqualTo("/");
    assertThat(r.requestHeaders).isEmpty();
    assertThat(r.remote).isNull();
    assertThat(r.address).isEqualTo("wss://a/$hc/b?sb-hc-action=request");
  }

  @Test
  void requestFieldsAreReadAsTheSdksReadThem() throws IOException {
    // null strings take their defaults; numbers and booleans their text; body from "true" or non-zero
    ControlMessages.Request r = ControlMessages.parse("{\"request\":{\"id\":7,\"method\":null,\"requestTarget\":null,"
        + "\"requestHeaders\":{\"N\":5,\"B\":true,\"Z\":null,\"O\":{\"a\":[1,\"x\"]},\"S\":\"\\\"q\\\"\"},"
        + "\"remoteEndpoint\":{\"address\":null,\"port\":\"81\"},\"body\":\"true\"}}").request;
    assertThat(r.id).isEqualTo("7");
    assertThat(r.hasMethod).isTrue();
    assertThat(r.method).isEqualTo("GET");
    assertThat(r.requestTarget).isEqualTo("/");
    assertThat(r.requestHeaders).containsEntry("N", "5").containsEntry("B", "true").containsEntry("Z", "null")
        .containsEntry("O", "{\"a\":[1,\"x\"]}").containsEntry("S", "\"q\"");
    assertThat(r.remote.address).isEqualTo("null");
    assertThat(r.remote.port).isEqualTo(81);
    assertThat(r.body).isTrue();
    assertThat(ControlMessages.parse("{\"request\":{\"method\":\"GET\",\"body\":1}}").request.body).isTrue();
    assertThat(ControlMessages.parse("{\"request\":{\"method\":\"GET\",\"body\":0}}").request.body).isFalse();
    assertThat(ControlMessages.parse("{\"request\":{\"method\":\"GET\",\"body\":\"no\"}}").request.body).isFalse();
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
    byte[] json = ControlMessages.response("r1", 404, "Not Found", h.entrySet(), true);
    assertThat(new String(json, java.nio.charset.StandardCharsets.UTF_8)).contains("a\\\"b\\\\c\u00e9");
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
