package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The streaming reading of a response message means what the tree reading means, or declines. */
class ListenerResponseTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"response\":{\"requestId\":\"a_G1\",\"statusCode\":200,\"body\":true}}",
      "{\"response\":{\"requestId\":\"a_G1\",\"statusCode\":\"404\",\"statusDescription\":\"Nope\",\"body\":false}}",
      "{\"response\":{\"statusCode\":\" 201 \",\"responseHeaders\":{\"A\":\"1\",\"B\":2,\"A\":\"3\"},\"requestId\":\"x\"}}",
      "{\"response\":{\"requestId\":\"x\",\"statusCode\":3000000000}}",
      "{\"response\":{\"requestId\":\"x\",\"statusCode\":200.0}}",
      "{\"response\":{\"requestId\":\"x\",\"statusCode\":null,\"body\":true}}",
      "{\"response\":{\"requestId\":\"x\",\"statusCode\":true}}",
      "{\"response\":{\"requestId\":\"x\",\"statusCode\":\"abc\"}}",
      "{\"response\":{\"requestId\":\"x\",\"other\":{\"deep\":[1,{\"a\":[]}]},\"statusCode\":204}}",
      "{\"response\":{}}",
      "{\"response\":{\"requestId\":\"\u00e9\\u00e9\",\"statusCode\":200,\"statusDescription\":\"\u00fcber \\\"ok\\\"\"}}"})
  void plainShapesAreReadAsTheTreeReadsThem(String message) throws Exception {
    ListenerResponse streamed = ListenerResponse.parse(JSON.getFactory(), buf(message));
    ListenerResponse tree = ListenerResponse.fromTree(JSON.readTree(message).get("response"));
    assertThat(streamed).as("streaming reading of %s", message).isNotNull();
    assertSame(streamed, tree);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"response\":{\"requestId\":7,\"statusCode\":200}}",
      "{\"response\":{\"requestId\":\"x\",\"statusDescription\":5}}",
      "{\"response\":{\"requestId\":\"x\",\"responseHeaders\":[]}}",
      "{\"response\":{\"requestId\":\"x\",\"responseHeaders\":{\"A\":[1]}}}",
      "{\"response\":{\"requestId\":\"x\",\"responseHeaders\":{\"A\":1.5}}}",
      "{\"response\":{\"requestId\":\"x\",\"body\":\"true\"}}",
      "{\"response\":{\"requestId\":\"x\",\"body\":1}}",
      "{\"response\":{\"requestId\":\"x\",\"statusCode\":{}}}",
      "{\"response\":{\"requestId\":\"x\"},\"renewToken\":{\"token\":\"t\"}}",
      "{\"renewToken\":{\"token\":\"t\"}}",
      "{\"response\":[]}",
      "[]",
      "{\"response\":{\"requestId\":\"x\"}} trailing",
      "{\"response\":{\"requestId\":\"x\"",
      "not json"})
  void otherShapesAreLeftToTheTree(String message) {
    assertThat(ListenerResponse.parse(JSON.getFactory(), buf(message))).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"response\":{\"requestId\":7,\"statusCode\":200,\"body\":1}}",
      "{\"response\":{\"requestId\":\"x\",\"responseHeaders\":{\"A\":[1],\"B\":1.5,\"C\":null}}}"})
  void theTreeReadsTheOddTypesAsBefore(String message) throws Exception {
    ListenerResponse r = ListenerResponse.fromTree(JSON.readTree(message).get("response"));
    if (message.contains("\"requestId\":7")) {
      assertThat(r.requestId).isEqualTo("7");
      assertThat(r.body).isTrue();
      assertThat(r.statusCode).isEqualTo(200);
    } else {
      assertThat(r.headers).extracting(h -> h[0] + "=" + h[1]).containsExactly("A=[1]", "B=1.5", "C=null");
    }
  }

  @org.junit.jupiter.api.Test
  void theContentIsNotConsumed() {
    ByteBuf b = buf("{\"response\":{\"requestId\":\"x\",\"statusCode\":200}}");
    int before = b.readerIndex();
    assertThat(ListenerResponse.parse(JSON.getFactory(), b)).isNotNull();
    assertThat(b.readerIndex()).isEqualTo(before);
    b.release();
  }

  private static void assertSame(ListenerResponse a, ListenerResponse b) {
    assertThat(a.requestId).isEqualTo(b.requestId);
    assertThat(a.statusCode).isEqualTo(b.statusCode);
    assertThat(a.statusDescription).isEqualTo(b.statusDescription);
    assertThat(a.body).isEqualTo(b.body);
    assertThat(a.headers).extracting(h -> h[0] + "=" + h[1])
        .containsExactlyElementsOf(b.headers.stream().map(h -> h[0] + "=" + h[1]).toList());
  }

  private static ByteBuf buf(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }
}
