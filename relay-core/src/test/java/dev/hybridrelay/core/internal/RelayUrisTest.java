package dev.hybridrelay.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayConnectionString;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RelayUrisTest {
  static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  final RelayConnectionString cloud = RelayConnectionString.parse(
      "Endpoint=sb://Contoso.ServiceBus.Windows.net/;SharedAccessKeyName=a;SharedAccessKey=" + KEY + ";EntityPath=hyco");
  final RelayConnectionString local = RelayConnectionString.parse(
      "Endpoint=sb://localhost:9090/;SharedAccessKeyName=a;SharedAccessKey=" + KEY + ";EntityPath=a/b;UseDevelopmentEmulator=true");

  @Test
  void listenUri() {
    assertThat(RelayUris.listenUri(cloud, "id-1"))
        .isEqualTo(URI.create("wss://Contoso.ServiceBus.Windows.net/$hc/hyco?sb-hc-action=listen&sb-hc-id=id-1"));
    assertThat(RelayUris.listenUri(local, "id-1"))
        .isEqualTo(URI.create("ws://localhost:9090/$hc/a/b?sb-hc-action=listen&sb-hc-id=id-1"));
  }

  @Test
  void listenUriPutsAppQueryFirst() {
    Map<String, List<String>> q = new LinkedHashMap<>();
    q.put("hybridrelay-port", List.of("rdp", "a b"));
    assertThat(RelayUris.listenUri(cloud, q, "id-1")).isEqualTo(URI.create("wss://Contoso.ServiceBus.Windows.net/$hc/"
        + "hyco?hybridrelay-port=rdp&hybridrelay-port=a%20b&sb-hc-action=listen&sb-hc-id=id-1"));
  }

  @Test
  void connectUriPutsAppQueryFirstAndNeverTheToken() {
    Map<String, List<String>> q = new LinkedHashMap<>();
    q.put("tenant", List.of("42"));
    q.put("x y", List.of("a&b", "c"));
    URI u = RelayUris.connectUri(cloud, "orders/17", q, "g");
    assertThat(u.toString()).isEqualTo("wss://Contoso.ServiceBus.Windows.net/$hc/hyco/orders/17"
        + "?tenant=42&x%20y=a%26b&x%20y=c&sb-hc-action=connect&sb-hc-id=g");
    assertThat(RelayUris.connectUri(cloud, "", Map.of(), "g").toString())
        .isEqualTo("wss://Contoso.ServiceBus.Windows.net/$hc/hyco?sb-hc-action=connect&sb-hc-id=g");
    assertThat(u.toString()).doesNotContain("token");
  }

  @Test
  void audienceIsLowerCaseHttpWithTrailingSlash() {
    assertThat(RelayUris.audience(cloud)).isEqualTo("http://contoso.servicebus.windows.net/hyco/");
    assertThat(RelayUris.audience(local)).isEqualTo("http://localhost/a/b/");
  }

  @Test
  void rejectUriAppendsEncodedStatus() {
    assertThat(RelayUris.rejectUri("wss://h/$hc/x?sb-hc-action=accept&sb-hc-id=1", 403, "Go away & stay").toString())
        .isEqualTo("wss://h/$hc/x?sb-hc-action=accept&sb-hc-id=1&sb-hc-statusCode=403"
            + "&sb-hc-statusDescription=Go%20away%20%26%20stay");
  }

  @Test
  void trackingIdFromDescription() {
    assertThat(RelayUris.trackingId("Endpoint does not exist. TrackingId:abc_G10, SystemTracker:sb://h/x", "mine"))
        .isEqualTo("abc_G10");
    assertThat(RelayUris.trackingId("Rejected by user code", "mine")).isEqualTo("mine");
    assertThat(RelayUris.trackingId(null, "mine")).isEqualTo("mine");
  }

  @Test
  void queryHelpers() {
    assertThat(RelayUris.withoutRelayParameters("a=1&sb-hc-action=accept&b=2&sb-hc-id=x")).isEqualTo("a=1&b=2");
    assertThat(RelayUris.parseQuery("a=1&a=2&b=x%20y&c")).containsEntry("a", List.of("1", "2"))
        .containsEntry("b", List.of("x y")).containsEntry("c", List.of(""));
  }

  @Test
  void rendezvousAddressesAreTheEndpointOrItsGatewayNodes() {
    RelayConnectionString azure = RelayConnectionString.parse(
        "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v;EntityPath=hyco");
    // The service's own shape: a gateway node of the namespace's domain, on 443.
    assertThat(RelayUris.isAllowedRendezvous(azure, URI.create(
        "wss://g63-prod-xxx-001-sb.servicebus.windows.net:443/$hc/hyco?sb-hc-action=accept&sb-hc-id=1"))).isTrue();
    assertThat(RelayUris.isAllowedRendezvous(azure, URI.create(
        "wss://contoso.servicebus.windows.net/$hc/hyco?sb-hc-action=accept"))).isTrue();
    assertThat(RelayUris.isAllowedRendezvous(azure, URI.create(
        "ws://g63.servicebus.windows.net/$hc/hyco?sb-hc-action=accept"))).as("downgrade").isFalse();
    assertThat(RelayUris.isAllowedRendezvous(azure, URI.create(
        "wss://g63.servicebus.windows.net:8443/$hc/hyco"))).as("other port").isFalse();
    assertThat(RelayUris.isAllowedRendezvous(azure, URI.create(
        "wss://evil.example.net/$hc/hyco"))).as("other domain").isFalse();
    assertThat(RelayUris.isAllowedRendezvous(azure, URI.create(
        "wss://windows.net/$hc/hyco"))).as("parent itself").isFalse();
    assertThat(RelayUris.isAllowedRendezvous(azure, URI.create(
        "wss://169.254.169.254/$hc/hyco"))).as("IP literal").isFalse();

    RelayConnectionString local = RelayConnectionString.parse(
        "Endpoint=sb://localhost:9090/;SharedAccessKeyName=k;SharedAccessKey=v;EntityPath=hyco;UseDevelopmentEmulator=true");
    assertThat(RelayUris.isAllowedRendezvous(local, URI.create(
        "ws://localhost:9090/$hc/hyco?sb-hc-action=accept"))).isTrue();
    assertThat(RelayUris.isAllowedRendezvous(local, URI.create(
        "ws://LOCALHOST:9090/$hc/hyco?sb-hc-action=accept"))).isTrue();
    assertThat(RelayUris.isAllowedRendezvous(local, URI.create(
        "ws://localhost:9091/$hc/hyco"))).as("same host, other port (a proxy in between)").isTrue();
    assertThat(RelayUris.isAllowedRendezvous(local, URI.create(
        "wss://localhost:9090/$hc/hyco"))).as("other scheme").isFalse();
    assertThat(RelayUris.isAllowedRendezvous(local, URI.create(
        "ws://127.0.0.2:9090/$hc/hyco"))).as("other host").isFalse();
  }
}
