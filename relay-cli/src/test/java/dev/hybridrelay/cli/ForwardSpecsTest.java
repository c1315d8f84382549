package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Every form of the -L and -T specs, and the errors for bad ones. */
class ForwardSpecsTest {

  @Test
  void localPortAndHc() throws Exception {
    ForwardPlan.LocalRule r = ForwardSpecs.parseLocal("13389:myhc");
    assertThat(r).isEqualTo(new ForwardPlan.LocalRule(null, 13389, null, "myhc", "-L 13389:myhc"));
    assertThat(r.effectivePortName()).isEqualTo("13389");
  }

  @Test
  void localPortNameAndHc() throws Exception {
    ForwardPlan.LocalRule r = ForwardSpecs.parseLocal("13389/rdp:myhc");
    assertThat(r.port()).isEqualTo(13389);
    assertThat(r.portName()).isEqualTo("rdp");
    assertThat(r.hybridConnection()).isEqualTo("myhc");
    assertThat(r.bindAddress()).isNull();
  }

  @Test
  void localBindAddressPortAndHc() throws Exception {
    ForwardPlan.LocalRule r = ForwardSpecs.parseLocal("127.0.0.1:5000:myname");
    assertThat(r.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(r.port()).isEqualTo(5000);
    assertThat(r.portName()).isNull();
    assertThat(r.hybridConnection()).isEqualTo("myname");
  }

  @Test
  void localBindAddressPortNameAndHc() throws Exception {
    ForwardPlan.LocalRule r = ForwardSpecs.parseLocal("127.0.0.2:13389/rdp:relays/rdp-1");
    assertThat(r.bindAddress()).isEqualTo("127.0.0.2");
    assertThat(r.port()).isEqualTo(13389);
    assertThat(r.portName()).isEqualTo("rdp");
    assertThat(r.hybridConnection()).isEqualTo("relays/rdp-1");
  }

  @Test
  void localIpv6BindAddress() throws Exception {
    ForwardPlan.LocalRule r = ForwardSpecs.parseLocal("[::1]:8080/web:hc");
    assertThat(r.bindAddress()).isEqualTo("::1");
    assertThat(r.port()).isEqualTo(8080);
    assertThat(r.portName()).isEqualTo("web");
  }

  @Test
  void localWildcardAndLocalhost() throws Exception {
    assertThat(ForwardSpecs.parseLocal("*:8080:hc").bindAddress()).isEqualTo("*");
    assertThat(ForwardSpecs.parseLocal("localhost:8080:hc").bindAddress()).isEqualTo("localhost");
  }

  @Test
  void localErrors() {
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("8080")).hasMessage(
        "-L 8080: expected [bind_address:]port[/port_name]:hc_name, for example -L 13389/rdp:myhc, or local_socket:hc_name");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("8080:")).hasMessageContaining("expected");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("70000:hc")).hasMessage("-L 70000:hc: the port must be 1-65535, was 70000");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("0:hc")).hasMessageContaining("must be 1-65535, was 0");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("http:hc")).hasMessageContaining("must be a number");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("8080/:hc")).hasMessageContaining("port name after '/' is empty");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("8080:bad name")).hasMessageContaining("not a hybrid connection name");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("example.com:8080:hc"))
        .hasMessageContaining("bind address must be an IP address");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("192.0.2.77:8080:hc"))
        .hasMessageContaining("'192.0.2.77' is not an address of this machine");
    assertThatThrownBy(() -> ForwardSpecs.parseLocal("[::1:8080:hc")).hasMessageContaining("[address]:port");
  }

  @Test
  void remotePortOnlyMeansLocalhost() throws Exception {
    ForwardPlan.RemoteRule r = ForwardSpecs.parseRemote("myhc:3389");
    assertThat(r).isEqualTo(new ForwardPlan.RemoteRule("myhc", null, "localhost", 3389, "-T myhc:3389"));
    assertThat(r.effectivePortName()).isEqualTo("3389");
  }

  @Test
  void remoteHostAndPort() throws Exception {
    ForwardPlan.RemoteRule r = ForwardSpecs.parseRemote("myname:10.1.2.3:5000");
    assertThat(r.host()).isEqualTo("10.1.2.3");
    assertThat(r.port()).isEqualTo(5000);
    assertThat(r.portName()).isNull();
  }

  @Test
  void remotePortNameHostAndPort() throws Exception {
    ForwardPlan.RemoteRule r = ForwardSpecs.parseRemote("relay:rdp/db.intra.example.com:3389");
    assertThat(r.hybridConnection()).isEqualTo("relay");
    assertThat(r.portName()).isEqualTo("rdp");
    assertThat(r.host()).isEqualTo("db.intra.example.com");
    assertThat(r.port()).isEqualTo(3389);
  }

  @Test
  void remotePortNameAndPortOnly() throws Exception {
    ForwardPlan.RemoteRule r = ForwardSpecs.parseRemote("relay:ssh/22");
    assertThat(r.portName()).isEqualTo("ssh");
    assertThat(r.host()).isEqualTo("localhost");
    assertThat(r.port()).isEqualTo(22);
  }

  @Test
  void remoteIpv6Target() throws Exception {
    ForwardPlan.RemoteRule r = ForwardSpecs.parseRemote("hc:web/[fd00::5]:8443");
    assertThat(r.host()).isEqualTo("fd00::5");
    assertThat(r.port()).isEqualTo(8443);
  }

  @Test
  void remoteErrors() {
    assertThatThrownBy(() -> ForwardSpecs.parseRemote("hc")).hasMessage(
        "-T hc: expected hc_name:[port_name/]host:port, for example -T myhc:rdp/10.0.0.5:3389, or hc_name:[port_name/]local_socket");
    assertThatThrownBy(() -> ForwardSpecs.parseRemote(":host:22")).hasMessageContaining("expected hc_name");
    assertThatThrownBy(() -> ForwardSpecs.parseRemote("hc:host:99999")).hasMessage(
        "-T hc:host:99999: the target port must be 1-65535, was 99999");
    assertThatThrownBy(() -> ForwardSpecs.parseRemote("hc:bad_host!:22")).hasMessage(
        "-T hc:bad_host!:22: 'bad_host!' is not a host name or IP address");
    assertThatThrownBy(() -> ForwardSpecs.parseRemote("hc:300.1.1.1:22")).hasMessageContaining("not a valid IPv4");
    assertThatThrownBy(() -> ForwardSpecs.parseRemote("hc:/host:22")).hasMessageContaining("port name after '/' is empty");
    assertThatThrownBy(() -> ForwardSpecs.parseRemote("hc:[zz::1]:22")).hasMessageContaining("not a valid IPv6");
    assertThatThrownBy(() -> ForwardSpecs.parseRemote("hc::22")).hasMessageContaining("target host is empty");
  }

  @Test
  void localUnixSocket() throws Exception {
    ForwardPlan.LocalRule r = ForwardSpecs.parseLocal("/run/app/app.sock:hc");
    assertThat(r.isUnixSocket()).isTrue();
    assertThat(r.socketPath()).isEqualTo("/run/app/app.sock");
    assertThat(r.effectivePortName()).isEqualTo("/run/app/app.sock");
    assertThat(r.hybridConnection()).isEqualTo("hc");
    ForwardPlan.LocalRule named = ForwardSpecs.parseLocal("/run/app/app.sock/web:hc");
    assertThat(named.socketPath()).isEqualTo("/run/app/app.sock");
    assertThat(named.effectivePortName()).isEqualTo("web");
    assertThat(ForwardSpecs.parseLocal("app.sock:hc").socketPath()).isEqualTo("app.sock");
    assertThat(ForwardSpecs.parseLocal("./sockets/app:hc").socketPath()).isEqualTo("./sockets/app");
  }

  @Test
  void remoteUnixSocket() throws Exception {
    ForwardPlan.RemoteRule r = ForwardSpecs.parseRemote("hc:/run/app/app.sock");
    assertThat(r.isUnixSocket()).isTrue();
    assertThat(r.socketPath()).isEqualTo("/run/app/app.sock");
    assertThat(r.effectivePortName()).isEqualTo("/run/app/app.sock");
    ForwardPlan.RemoteRule named = ForwardSpecs.parseRemote("hc:web//run/app/app.sock");
    assertThat(named.socketPath()).isEqualTo("/run/app/app.sock");
    assertThat(named.effectivePortName()).isEqualTo("web");
    assertThat(ForwardSpecs.parseRemote("hc:./app.sock").socketPath()).isEqualTo("./app.sock");
    assertThat(ForwardSpecs.parseRemote("hc:web/app.sock").socketPath()).isEqualTo("app.sock");
  }

  @Test
  void unixSocketPathTooLong() {
    String path = "/run/" + "x".repeat(110) + ".sock";
    assertThatThrownBy(() -> ForwardSpecs.parseLocal(path + ":hc"))
        .hasMessageContaining("-L " + path + ":hc: The Unix socket path '" + path + "' is 120 bytes long; the limit is");
    assertThatThrownBy(() -> ForwardSpecs.parseRemote("hc:" + path)).hasMessageContaining("sun_path");
  }

  @Test
  void severalBindingsSeparatedBySemicolons() throws Exception {
    assertThat(ForwardSpecs.parseLocalList("8080;8443/tls;/run/a.sock:hc"))
        .extracting(ForwardPlan.LocalRule::effectivePortName).containsExactly("8080", "tls", "/run/a.sock");
    assertThat(ForwardSpecs.parseRemoteList("hc:80;tls/10.0.0.5:443;/run/a.sock"))
        .extracting(ForwardPlan.RemoteRule::effectivePortName).containsExactly("80", "tls", "/run/a.sock");
    assertThatThrownBy(() -> ForwardSpecs.parseLocalList("8080;;8443:hc")).hasMessageContaining("empty binding");
  }
}
