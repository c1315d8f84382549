package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RelayConnectionStringTest {
  static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  static final String SAS = "SharedAccessSignature sr=http%3A%2F%2Fcontoso.servicebus.windows.net%2Fhyco%2F"
      + "&sig=hMMUYLCqSXRKhlOOm3ZYIuDPt1reQe2N0VvUQN%2Fjc2k%3D&se=1700000000&skn=hyco-send";

  @Test
  void parsesEveryKeyCaseInsensitively() {
    RelayConnectionString cs = RelayConnectionString.parse("endpoint=sb://contoso.servicebus.windows.net/;"
        + "ENTITYPATH=hyco;sharedAccessKeyName=send;SharedAccessKey=" + KEY + ";OperationTimeout=00:00:30;"
        + "UseDevelopmentEmulator=TRUE");
    assertThat(cs.endpoint()).isEqualTo(URI.create("sb://contoso.servicebus.windows.net/"));
    assertThat(cs.entityPath()).isEqualTo("hyco");
    assertThat(cs.sharedAccessKeyName()).isEqualTo("send");
    assertThat(cs.sharedAccessKey()).isEqualTo(KEY); // '=' padding kept: split at the first '='
    assertThat(cs.operationTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(cs.useDevelopmentEmulator()).isTrue();
    assertThat(cs.hasCredentials()).isTrue();
    assertThat(cs.tokenProvider()).isInstanceOf(SharedAccessSignatureTokenProvider.class);
  }

  @Test
  void parsesSignatureAndAuthentication() {
    RelayConnectionString sas = RelayConnectionString.parse(
        "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessSignature=" + SAS + ";EntityPath=hyco");
    assertThat(sas.sharedAccessSignature()).isEqualTo(SAS);
    assertThat(sas.sharedAccessKeyName()).isNull();
    RelayConnectionString mi = RelayConnectionString.parse(
        "Endpoint=sb://contoso.servicebus.windows.net/;Authentication=Managed Identity");
    assertThat(mi.authentication()).isEqualTo("Managed Identity");
    assertThat(mi.hasCredentials()).isFalse();
    assertThat(mi.entityPath()).isNull();
  }

  @ParameterizedTest
  @CsvSource({"60,60", "1,1", "00:01:00,60", "00:00:05,5", "01:00:00,3600", "1.00:00:00,86400", "00:00:01.5,1.5"})
  void operationTimeoutInBothForms(String text, double seconds) {
    RelayConnectionString cs = RelayConnectionString.parse(
        "Endpoint=sb://h.example/;OperationTimeout=" + text);
    assertThat(cs.operationTimeout()).isEqualTo(Duration.ofMillis((long) (seconds * 1000)));
  }

  @Test
  void defaultsAndRoundTrip() {
    String text = "Endpoint=sb://contoso.servicebus.windows.net/;EntityPath=hyco;SharedAccessKeyName=send;"
        + "SharedAccessKey=" + KEY;
    RelayConnectionString cs = RelayConnectionString.parse(text);
    assertThat(cs.operationTimeout()).isEqualTo(RelayConnectionString.DEFAULT_OPERATION_TIMEOUT);
    assertThat(cs.useDevelopmentEmulator()).isFalse();
    assertThat(cs.toConnectionString()).isEqualTo(text);
    assertThat(RelayConnectionString.parse(cs.toConnectionString())).isEqualTo(cs);
    assertThat(cs.toString()).doesNotContain(KEY).contains("SharedAccessKey=***");
    assertThat(cs.withEntityPath("other").entityPath()).isEqualTo("other");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "Endpoint=sb://h.example/;Bogus=1|Bogus",
      "Endpoint=sb://h.example/;OperationTimeout=soon|OperationTimeout",
      "Endpoint=sb://h.example/;OperationTimeout=0|OperationTimeout",
      "Endpoint=sb://h.example/;OperationTimeout=-5|OperationTimeout",
      "Endpoint=sb://h.example/;UseDevelopmentEmulator=yes|UseDevelopmentEmulator",
      "Endpoint=not a uri|Endpoint",
      "Endpoint=/relative/|Endpoint",
      "EntityPath=hyco|Endpoint",
      "Endpoint=sb://h.example/;EntityPath=bad name!|EntityPath",
      "Endpoint=sb://h.example/;SharedAccessKeyName=|SharedAccessKeyName",
      "Endpoint=sb://h.example/;novalue|value",
  })
  void errorsNameTheKey(String text, String key) {
    assertThatThrownBy(() -> RelayConnectionString.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(key);
  }

  @Test
  void errorsNeverEchoASecret() {
    String secret = "U2VjcmV0S2V5VmFsdWVUaGF0TXVzdE5ldmVyTGVhaw==";
    String[] bad = {
        "Endpoint=sb://h.example/;SharedAccessKey=" + secret,
        "Endpoint=sb://h.example/;SharedAccessKeyName=send",
        "Endpoint=sb://h.example/;SharedAccessKeyName=send;SharedAccessKey=" + secret + ";SharedAccessSignature=" + SAS,
        "Endpoint=sb://h.example/;SharedAccessSignature=" + SAS + ";Authentication=Managed Identity",
        "Endpoint=sb://h.example/;SharedAccessKeyName=send;SharedAccessKey=" + secret + ";Authentication=Managed Identity",
        "Endpoint=ftp://h.example/;SharedAccessKeyName=send;SharedAccessKey=" + secret,
        "SharedAccessKeyName=send;SharedAccessKey=" + secret,
        "Endpoint=sb://h.example/;SharedAccessKeyName=send;SharedAccessKey=" + secret + ";Unknown=1",
        secret,
        "Endpoint=sb://h.example/;SharedAccessKeyName=send;SharedAccessKey" + secret,
        "Endpoint=sb://h.example/;SharedAccessKeyName=send;" + secret.substring(0, 20) + ";" + secret.substring(20),
    };
    for (String text : bad) {
      assertThatThrownBy(() -> RelayConnectionString.parse(text))
          .as(text)
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret.substring(0, 8))
              .doesNotContain(secret.substring(20, 28)).doesNotContain("hMMUYLCq"));
    }
  }

  @Test
  void keyAndNameMustComeTogether() {
    assertThatThrownBy(() -> RelayConnectionString.parse("Endpoint=sb://h.example/;SharedAccessKey=" + KEY))
        .hasMessageContaining("SharedAccessKeyName");
    assertThatThrownBy(() -> RelayConnectionString.parse("Endpoint=sb://h.example/;SharedAccessKeyName=send"))
        .hasMessageContaining("SharedAccessKey");
  }

  @Test
  void emptyStringIsRejected() {
    assertThatThrownBy(() -> RelayConnectionString.parse(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Endpoint");
  }
}
