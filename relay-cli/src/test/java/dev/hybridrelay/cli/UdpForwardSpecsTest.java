package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** azbridge's UDP forms of -L and -T: a port number followed by an upper-case U. */
class UdpForwardSpecsTest {

  @Test
  void localUdpPortKeepsTheSuffixInItsDefaultPortName() throws Exception {
    ForwardPlan.LocalRule r = ForwardSpecs.parseLocal("3434U:relay");
    assertThat(r).isEqualTo(new ForwardPlan.LocalRule(null, 3434, null, "relay", "-L 3434U:relay", null, true));
    assertThat(r.effectivePortName()).isEqualTo("3434U");
  }

  @Test
  void localUdpWithBindAddressAndPortName() throws Exception {
    ForwardPlan.LocalRule r = ForwardSpecs.parseLocal("127.0.0.1:5353U/dns:relay");
    assertThat(r.udp()).isTrue();
    assertThat(r.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(r.port()).isEqualTo(5353);
    assertThat(r.effectivePortName()).isEqualTo("dns");
    ForwardPlan.LocalRule v6 = ForwardSpecs.parseLocal("[::1]:5353U:relay");
    assertThat(v6.udp()).isTrue();
    assertThat(v6.bindAddress()).isEqualTo("::1");
  }

  @Test
  void tcpRulesStayTcp() throws Exception {
    assertThat(ForwardSpecs.parseLocal("3434:relay").udp()).isFalse();
    assertThat(ForwardSpecs.parseRemote("relay:3434").udp()).isFalse();
    assertThat(ForwardSpecs.parseLocal("3434:relay").effectivePortName()).isEqualTo("3434");
  }

  @Test
  void remoteUdpForms() throws Exception {
    ForwardPlan.RemoteRule portOnly = ForwardSpecs.parseRemote("relay:3434U");
    assertThat(portOnly).isEqualTo(new ForwardPlan.RemoteRule("relay", null, "localhost", 3434, "-T relay:3434U", null, true));
    assertThat(portOnly.effectivePortName()).isEqualTo("3434U");

    ForwardPlan.RemoteRule hostPort = ForwardSpecs.parseRemote("relay:10.0.0.2:53U");
    assertThat(hostPort.udp()).isTrue();
    assertThat(hostPort.host()).isEqualTo("10.0.0.2");
    assertThat(hostPort.port()).isEqualTo(53);
    assertThat(hostPort.effectivePortName()).isEqualTo("53U");

    ForwardPlan.RemoteRule named = ForwardSpecs.parseRemote("relay:dns/[fd00::2]:53U");
    assertThat(named.udp()).isTrue();
    assertThat(named.host()).isEqualTo("fd00::2");
    assertThat(named.effectivePortName()).isEqualTo("dns");
  }

  @Test
  void udpErrors() {
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("5353u:relay")).hasMessage(
        "-L 5353u:relay: the port '5353u' looks like a UDP port; write the suffix as an upper-case U, for example 5353U");
    assertThatThrownBy(() -> ForwardSpecs.parseRemote("relay:host:70000U"))
        .hasMessage("-T relay:host:70000U: the target port must be 1-65535, was 70000");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("0U:relay")).hasMessageContaining("must be 1-65535, was 0");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("U:relay")).hasMessageContaining("(followed by U for UDP)");
  }

  @Test
  void tcpAndUdpOnTheSamePortNumberAreDifferentPortNames() throws Exception {
    ForwardCommand cmd = new ForwardCommand();
    cmd.environment = n -> null;
    new picocli.CommandLine(cmd).parseArgs("-x", "Endpoint=sb://ns.example.com/;SharedAccessKeyName=r;"
        + "SharedAccessKey=k", "-T", "relay:7777", "-T", "relay:7777U", "--udp-idle-timeout", "30");
    ForwardPlan plan = cmd.plan();
    assertThat(plan.remoteRules).extracting(ForwardPlan.RemoteRule::effectivePortName).containsExactly("7777", "7777U");
    assertThat(ForwardCommand.options(plan).udpIdleTimeout()).hasSeconds(30);
    new picocli.CommandLine(cmd).parseArgs("-x", "Endpoint=sb://ns.example.com/;SharedAccessKeyName=r;"
        + "SharedAccessKey=k", "-T", "relay:7777U", "-T", "relay:x/7778U:7777U");
    assertThat(cmd.plan().remoteRules).hasSize(2);
  }
}
