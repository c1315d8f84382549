package dev.hybridrelay.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class RedactionTest {
  static final String TOKEN = "SharedAccessSignature sr=http%3A%2F%2Fh%2Fhyco%2F&sig=c2VjcmV0c2lnbmF0dXJl%3D&se=1700000000&skn=send";

  @Test
  void uriLosesQueryAndUserInfo() {
    URI u = URI.create("wss://user:pw@gw-7.relay.example:443/$hc/orders/v2?tenant=42&sb-hc-action=accept&sb-hc-id=abc");
    assertThat(Redaction.uri(u)).isEqualTo("wss://gw-7.relay.example:443/$hc/orders/v2?***");
    assertThat(Redaction.uri(URI.create("ws://localhost/$hc/x"))).isEqualTo("ws://localhost/$hc/x");
    assertThat(Redaction.uri((URI) null)).isEqualTo("null");
    assertThat(Redaction.uri("wss://h/$hc/x?sb-hc-token=abc")).isEqualTo("wss://h/$hc/x?***");
  }

  @Test
  void textMasksTokensSignaturesKeysAndUrlQueries() {
    String text = "failed for wss://h:443/$hc/x?sb-hc-action=connect&sb-hc-token=" + "abc%20def"
        + " with ServiceBusAuthorization: " + TOKEN
        + "; Endpoint=sb://h/;SharedAccessKeyName=send;SharedAccessKey=S2V5S2V5S2V5S2V5=;EntityPath=x"
        + " sig=AbCdEf%2B%3D and Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";
    String r = Redaction.text(text);
    assertThat(r).doesNotContain("abc%20def").doesNotContain("c2VjcmV0c2lnbmF0dXJl")
        .doesNotContain("S2V5S2V5").doesNotContain("AbCdEf").doesNotContain("eyJhbGci")
        .doesNotContain("sb-hc-action");
    assertThat(r).contains("wss://h:443/$hc/x?***").contains("SharedAccessKeyName=send");
  }

  @Test
  void textWithoutSecretsIsUnchanged() {
    String s = "404 Endpoint does not exist. TrackingId:abc_G3, SystemTracker:sb://h/hyco, Timestamp:2024";
    assertThat(Redaction.text(s)).isEqualTo(s);
    assertThat(Redaction.text(null)).isNull();
  }
}
