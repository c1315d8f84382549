package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code accept} notification is written by hand; it must be the text a Jackson tree gave, for
 * any header names and values a sender can send.
 */
class AcceptJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String viaJackson(String address, String id, Map<String, String> headers, String ra, int port) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode accept = root.putObject("accept");
    accept.put("address", address);
    accept.put("id", id);
    ObjectNode h = accept.putObject("connectHeaders");
    headers.forEach(h::put);
    ObjectNode remote = accept.putObject("remoteEndpoint");
    remote.put("address", ra);
    remote.put("port", port);
    return root.toString();
  }

  @Test
  void sameTextAsAJacksonTreeForPlainAndHostileValues() throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("host", "relay.example:443");
    headers.put("x-quote", "a \"quoted\" \\ value");
    headers.put("x-control", "tab\tnewline\ncr\rnul\u0000bell\u0007");
    headers.put("x-unicode", "grüße 💡 \u2028\u2029");
    headers.put("x-html", "</script><!--");
    headers.put("", "");
    String address = "wss://127.0.0.1:1234/$hc/a%20b?x=1&sb-hc-action=accept&sb-hc-id=t%22&sb-hc-token=s";
    String mine = HandshakeHandler.acceptJson(address, "id\"1", headers, "::1", 65535);
    assertThat(mine).isEqualTo(viaJackson(address, "id\"1", headers, "::1", 65535));
    JsonNode parsed = JSON.readTree(mine);
    assertThat(parsed.path("accept").path("connectHeaders").path("x-control").asText())
        .isEqualTo(headers.get("x-control"));
  }

  @Test
  void noHeaders() {
    assertThat(HandshakeHandler.acceptJson("ws://h/$hc/x", "i", Map.of(), "127.0.0.1", 1))
        .isEqualTo(viaJackson("ws://h/$hc/x", "i", Map.of(), "127.0.0.1", 1));
  }
}
