package dev.hybridrelay.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayAuthorizationException;
import dev.hybridrelay.core.RelayConnectException;
import dev.hybridrelay.core.RelayRefusal;
import dev.hybridrelay.core.RelayTimeoutException;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Handshake status to exception type (the end-to-end cases are in RefusalTest). */
class RefusalMappingTest {
  @ParameterizedTest
  @CsvSource({
      "401, dev.hybridrelay.core.RelayAuthorizationException",
      "403, dev.hybridrelay.core.RelayAuthorizationException",
      "404, dev.hybridrelay.core.RelayConnectException",
      "410, dev.hybridrelay.core.RelayConnectException",
      "400, dev.hybridrelay.core.RelayConnectException",
      "502, dev.hybridrelay.core.RelayConnectException",
      "503, dev.hybridrelay.core.RelayConnectException",
      "408, dev.hybridrelay.core.RelayTimeoutException",
      "504, dev.hybridrelay.core.RelayTimeoutException",
  })
  void statusToType(int status, String type) {
    IOException e = RelayWebSocket.refusal(status, "Reason TrackingId:t_G1, SystemTracker:sb://h/x", "mine");
    assertThat(e.getClass().getName()).isEqualTo(type);
    RelayRefusal r = (RelayRefusal) e;
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(r.trackingId()).isEqualTo("t_G1");
    assertThat(e.getMessage()).startsWith(status + " Reason");
  }

  @Test
  void ourTrackingIdWhenTheDescriptionHasNone() {
    IOException e = RelayWebSocket.refusal(400, "Rejected by user code", "mine");
    assertThat(((RelayConnectException) e).trackingId()).isEqualTo("mine");
    assertThat(e.getMessage()).isEqualTo("400 Rejected by user code (TrackingId:mine)");
    assertThat(((RelayConnectException) RelayWebSocket.refusal(404, "x", "m")).isTransient()).isTrue();
    assertThat(((RelayAuthorizationException) RelayWebSocket.refusal(401, "x", "m")).isTransient()).isFalse();
    assertThat(RelayWebSocket.refusal(504, "", "m")).isInstanceOf(java.net.SocketTimeoutException.class)
        .isInstanceOf(RelayTimeoutException.class);
  }

  @Test
  void statusLineCapture() {
    RelayDraft d = new RelayDraft(1024, java.util.List.of());
    d.parseStatusLine("HTTP/1.1 404 Endpoint does not exist. TrackingId:x_G1");
    assertThat(d.responseStatus()).isEqualTo(404);
    assertThat(d.responseReason()).isEqualTo("Endpoint does not exist. TrackingId:x_G1");
    RelayDraft e = new RelayDraft(1024, java.util.List.of());
    e.parseStatusLine("HTTP/1.1 410");
    assertThat(e.responseStatus()).isEqualTo(410);
    assertThat(e.responseReason()).isEmpty();
  }
}
