package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The shared error response: every 401 carries the challenge, nothing else does. */
class HttpRefusalTest {
  @Test
  void a401CarriesTheSharedAccessSignatureChallenge() {
    FullHttpResponse res = HttpRefusal.response(new HttpResponseStatus(401, "Unauthorized"), "no token");
    try {
      assertThat(res.headers().get(HttpHeaderNames.WWW_AUTHENTICATE)).isEqualTo("SharedAccessSignature");
      assertThat(res.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
      assertThat(res.content().toString(StandardCharsets.UTF_8)).isEqualTo("no token\n");
      assertThat(res.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(9);
    } finally {
      res.release();
    }
  }

  @Test
  void otherStatusesCarryNoChallenge() {
    for (int status : new int[] {400, 403, 404, 408, 410, 501, 503}) {
      FullHttpResponse res = HttpRefusal.response(HttpResponseStatus.valueOf(status), "x");
      try {
        assertThat(res.headers().contains(HttpHeaderNames.WWW_AUTHENTICATE)).as("status %d", status).isFalse();
      } finally {
        res.release();
      }
    }
  }
}
