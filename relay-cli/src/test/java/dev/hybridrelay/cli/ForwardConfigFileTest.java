package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The YAML configuration of {@code hybridrelay forward}: a valid file, and each kind of error with file, line and key. */
class ForwardConfigFileTest {
  private static final String CS = "Endpoint=sb://relay.example.com/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0";
  private static final Map<String, String> ENV = Map.of("RELAY_CS", CS, "RELAY_KEY", "canary-key-value");

  @TempDir
  Path dir;

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("config.yml");
    Files.writeString(f, yaml);
    return f;
  }

  private ForwardPlan read(String yaml) throws Exception {
    ForwardPlan plan = new ForwardPlan();
    ForwardConfigFile.read(write(yaml), plan, ENV::get);
    return plan;
  }

  private String error(String yaml) throws Exception {
    Path f = write(yaml);
    try {
      ForwardConfigFile.read(f, new ForwardPlan(), ENV::get);
    } catch (ForwardConfigException e) {
      assertThat(e.getMessage()).startsWith(f.toString() + " ").doesNotContain("canary-key-value");
      return e.getMessage().substring(f.toString().length() + 1);
    }
    throw new AssertionError("no error for:\n" + yaml);
  }

  @Test
  void validFileWithEnvironmentSecrets() throws Exception {
    ForwardPlan p = read(String.join("\n",
        "# forwarding for the database",
        "AzureRelayConnectionString: ${RELAY_CS}",
        "AzureRelaySharedAccessKeyName: listen",
        "AzureRelaySharedAccessKey: \"${RELAY_KEY}\"",
        "GatewayPorts: no",
        "StatusInterval: 30",
        "MaxConnections: 50",
        "IdleTimeout: 600",
        "WriteTimeout: 20",
        "StrictPortNames: true",
        "LocalForward:",
        "  - BindAddress: 127.0.0.1",
        "    BindPort: 15432",
        "    PortName: postgres",
        "    RelayName: db",
        "  - bindport: 13389",
        "    relayname: rdp",
        "RemoteForward:",
        "  - RelayName: db",
        "    PortName: postgres",
        "    Host: 10.0.0.5",
        "    HostPort: 5432",
        "  - RelayName: rdp",
        "    HostPort: 3389",
        ""));
    assertThat(p.connectionString).isEqualTo(CS);
    assertThat(p.sharedAccessKeyName).isEqualTo("listen");
    assertThat(p.sharedAccessKey).isEqualTo("canary-key-value");
    assertThat(p.gatewayPorts).isFalse();
    assertThat(p.statusInterval).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.maxConnections).isEqualTo(50);
    assertThat(p.idleTimeout).isEqualTo(Duration.ofSeconds(600));
    assertThat(p.writeTimeout).isEqualTo(Duration.ofSeconds(20));
    assertThat(p.strictPortNames).isTrue();
    assertThat(p.localRules).hasSize(2);
    assertThat(p.localRules.get(0).bindAddress()).isEqualTo("127.0.0.1");
    assertThat(p.localRules.get(0).port()).isEqualTo(15432);
    assertThat(p.localRules.get(0).effectivePortName()).isEqualTo("postgres");
    assertThat(p.localRules.get(0).hybridConnection()).isEqualTo("db");
    assertThat(p.localRules.get(1).effectivePortName()).isEqualTo("13389");
    assertThat(p.remoteRules).hasSize(2);
    assertThat(p.remoteRules.get(0).host()).isEqualTo("10.0.0.5");
    assertThat(p.remoteRules.get(0).port()).isEqualTo(5432);
    assertThat(p.remoteRules.get(1).host()).isEqualTo("localhost");
    assertThat(p.remoteRules.get(1).effectivePortName()).isEqualTo("3389");
    assertThat(p.remoteRules.get(1).origin()).endsWith("config.yml line 23: RemoteForward[1]");
  }

  @Test
  void listenerEndpoints() throws Exception {
    assertThat(read("ListenerEndpoints: [sb://relay1:9091, sb://relay2:9092]\n").listenerEndpoints)
        .containsExactly("sb://relay1:9091", "sb://relay2:9092");
    assertThat(read("ListenerEndpoints:\n  - sb://relay1:9091\n  - sb://relay2:9092\n").listenerEndpoints)
        .containsExactly("sb://relay1:9091", "sb://relay2:9092");
    assertThat(read("ListenerEndpoints: sb://relay1:9091,sb://relay2:9092\n").listenerEndpoints).hasSize(2);
    assertThat(error("ListenerEndpoints: [sb://relay1:9091, sb://relay1:9091]\n"))
        .isEqualTo("line 1: ListenerEndpoints: 'sb://relay1:9091' is given twice");
    assertThat(error("ListenerEndpoints: http://relay1:9091/hc\n")).startsWith("line 1: ListenerEndpoints: "
        + "'http://relay1:9091/hc' is not a relay endpoint; expected sb://host[:port]");
  }

  @Test
  void unknownKey() throws Exception {
    assertThat(error("LocalForward:\n  - BindPort: 1\n    RelayName: hc\n    Portname: x\n    Hots: y\n"))
        .isEqualTo("line 5: LocalForward[0].Hots: unknown key; known keys here: RelayName, ConnectionString, Bindings, "
            + "BindAddress, BindPort, PortName, BindLocalSocket, HostName, RemoteHostName, NoAuthentication");
    assertThat(error("GatewayPort: true\n")).startsWith("line 1: GatewayPort: unknown key; known keys here: ");
  }

  @Test
  void badPort() throws Exception {
    assertThat(error(String.join("\n", "AzureRelayConnectionString: ${RELAY_CS}", "LocalForward:",
        "  - BindPort: 8080", "    RelayName: a", "  - RelayName: b", "    PortName: web", "    BindPort: 70000", "")))
        .isEqualTo("line 7: LocalForward[1].BindPort: must be 1-65535, was 70000");
    assertThat(error("RemoteForward:\n  - RelayName: a\n    HostPort: ssh\n"))
        .isEqualTo("line 3: RemoteForward[0].HostPort: must be a whole number 1-65535, was 'ssh'");
  }

  @Test
  void badHost() throws Exception {
    assertThat(error("RemoteForward:\n  - RelayName: a\n    Host: not a host\n    HostPort: 22\n"))
        .isEqualTo("line 3: RemoteForward[0].Host: 'not a host' is not a host name or IP address");
  }

  @Test
  void missingHybridConnectionName() throws Exception {
    assertThat(error("RemoteForward:\n  - Host: 10.0.0.5\n    HostPort: 22\n"))
        .isEqualTo("line 2: RemoteForward[0].RelayName: missing; the hybrid connection to listen on");
    assertThat(error("LocalForward:\n  - BindPort: 22\n"))
        .isEqualTo("line 2: LocalForward[0].RelayName: missing; the hybrid connection to forward to");
    assertThat(error("LocalForward:\n  - BindPort: 22\n    RelayName: \"bad name\"\n"))
        .startsWith("line 3: LocalForward[0].RelayName: 'bad name' is not a hybrid connection name");
  }

  @Test
  void badBindAddress() throws Exception {
    assertThat(error("LocalForward:\n  - BindAddress: 192.0.2.77\n    BindPort: 22\n    RelayName: a\n"))
        .isEqualTo("line 2: LocalForward[0].BindAddress: '192.0.2.77' is not an address of this machine");
    assertThat(error("LocalForward:\n  - BindAddress: my-laptop\n    BindPort: 22\n    RelayName: a\n"))
        .startsWith("line 2: LocalForward[0].BindAddress: the bind address must be an IP address");
  }

  @Test
  void unsetEnvironmentVariableAndBadConnectionString() throws Exception {
    assertThat(error("AzureRelayConnectionString: ${NOT_SET_ANYWHERE}\n"))
        .isEqualTo("line 1: AzureRelayConnectionString: environment variable NOT_SET_ANYWHERE is not set");
    assertThat(error("AzureRelayConnectionString: Endpoint=sb://x/;Nonsense=1\n"))
        .startsWith("line 1: AzureRelayConnectionString: The connection string contains unknown parameter 'Nonsense'");
  }

  @Test
  void notYamlOrWrongShape() throws Exception {
    assertThat(error("LocalForward: [\n")).startsWith("line ").contains("not valid YAML");
    assertThat(error("LocalForward: 8080\n")).isEqualTo("line 1: LocalForward: expected a list of entries (lines starting with '- ')");
    assertThat(error("- a\n- b\n")).startsWith("line 1: (top level): expected a mapping");
    assertThat(error("GatewayPorts: maybe\n")).isEqualTo("line 1: GatewayPorts: must be true or false, was 'maybe'");
  }

  @Test
  void missingConnectionStringNamesAllThreeSources() throws Exception {
    Path f = write("LocalForward:\n  - BindPort: 8080\n    RelayName: hc\n");
    ForwardCommand cmd = new ForwardCommand();
    new CommandLine(cmd).parseArgs("-f", f.toString());
    cmd.environment = name -> null;
    assertThatThrownBy(cmd::plan).hasMessage("no connection string: give -x, set AzureRelayConnectionString in the "
        + "configuration file, or set HYBRIDRELAY_CONNECTION_STRING");
  }

  @Test
  void commandLineAddsToAndOverridesTheFile() throws Exception {
    Path f = write("AzureRelayConnectionString: ${RELAY_CS}\nStatusInterval: 5\nRemoteForward:\n"
        + "  - RelayName: a\n    HostPort: 22\n");
    ForwardCommand cmd = new ForwardCommand();
    new CommandLine(cmd).parseArgs("-f", f.toString(), "-T", "b:web/127.0.0.1:8080", "--status-interval", "0",
        "-K", "other", "-k", "k2");
    cmd.environment = ENV::get;
    ForwardPlan p = cmd.plan();
    assertThat(p.remoteRules).extracting(ForwardPlan.RemoteRule::hybridConnection).containsExactly("a", "b");
    assertThat(p.statusInterval).isZero();
    assertThat(ForwardCommand.connectionString(p).sharedAccessKeyName()).isEqualTo("other");
  }

  @Test
  void nonLoopbackBindNeedsGatewayPortsAndEntityPathMustMatch() throws Exception {
    ForwardCommand cmd = new ForwardCommand();
    new CommandLine(cmd).parseArgs("-x", CS, "-L", "0.0.0.0:8080:hc");
    assertThatThrownBy(cmd::plan).hasMessage(
        "-L 0.0.0.0:8080:hc: binding 0.0.0.0 makes the port reachable from other machines; add -g (GatewayPorts: true) to allow it");
    ForwardCommand ok = new ForwardCommand();
    new CommandLine(ok).parseArgs("-x", CS, "-g", "-L", "0.0.0.0:8080:hc");
    assertThat(ok.plan().gatewayPorts).isTrue();

    ForwardCommand entity = new ForwardCommand();
    new CommandLine(entity).parseArgs("-x", CS + ";EntityPath=one", "-T", "two:22");
    assertThatThrownBy(entity::plan).hasMessageContaining("-T two:22: the connection string is for hybrid connection 'one'");
  }

  @Test
  void noEarlyDataTurnsEarlyDataOffForTheForwarders() throws Exception {
    ForwardCommand on = new ForwardCommand();
    new CommandLine(on).parseArgs("-x", CS, "-L", "8080:hc");
    assertThat(ForwardCommand.options(on.plan()).earlyData()).isTrue();
    ForwardCommand off = new ForwardCommand();
    new CommandLine(off).parseArgs("-x", CS, "--no-early-data", "-L", "8080:hc");
    assertThat(ForwardCommand.options(off.plan()).earlyData()).isFalse();
  }

  @Test
  void duplicatePortNameOnOneHybridConnection() throws Exception {
    ForwardCommand cmd = new ForwardCommand();
    new CommandLine(cmd).parseArgs("-x", CS, "-T", "hc:web/10.0.0.1:80", "-T", "hc:web/10.0.0.2:80");
    assertThatThrownBy(cmd::plan).hasMessage("-T hc:web/10.0.0.2:80: port name 'web' on hybrid connection 'hc' "
        + "is already forwarded by -T hc:web/10.0.0.1:80");
  }

  /** azbridge's current form: every key of its CONFIG.md, PascalCase, with Bindings lists. */
  @Test
  void azbridgeFileWithEveryKeyInPascalCase() throws Exception {
    String other = "Endpoint=sb://other.example.com/;SharedAccessKeyName=own;SharedAccessKey=b3du";
    ForwardPlan p = read(String.join("\n",
        "---",
        "AddressFamily: any",
        "AzureRelayConnectionString: ${RELAY_CS}",
        "AzureRelayEndpoint: sb://override.example.com/",
        "AzureRelaySharedAccessKeyName: listen",
        "AzureRelaySharedAccessKey: ${RELAY_KEY}",
        "BindAddress: 127.0.0.1",
        "ClearAllForwardings: false",
        "ConnectionAttempts: 3",
        "ConnectTimeout: 20",
        "ExitOnForwardFailure: true",
        "GatewayPorts : no",
        "KeepAliveInterval: 15",
        "LogLevel: VERBOSE",
        "LocalForward:",
        "  # RDP to remote machine abcxyz",
        "  - BindAddress: 127.0.10.1",
        "    HostName: abcxyz.intra-de.example.com",
        "    BindPort: 3389",
        "    RelayName: abcxyzrdp",
        "  - RelayName: myrelay",
        "    ConnectionString: \"" + other + "\"",
        "    NoAuthentication: true",
        "    Bindings:",
        "      - BindAddress: 127.0.8.1",
        "        BindPort: 5671",
        "        PortName: amqps",
        "        RemoteHostName: broker.corp.example.com",
        "      - BindLocalSocket: /run/amqp/amqp.sock",
        "        PortName: amqp",
        "RemoteForward:",
        "  - RelayName: abcxyzrdp",
        "    HostPort: 3389",
        "  - RelayName: sockets",
        "    LocalSocket: /run/app/app.sock",
        "  - RelayName: brokers",
        "    Bindings:",
        "      - Host: broker.corp.example.com",
        "        HostPort: 5671",
        "        PortName: amqps",
        "        Insecure: false",
        "        Http: false",
        "      - LocalSocket: /run/amqp.sock",
        "        PortName: amqp",
        ""));
    assertThat(p.connectionString).isEqualTo(CS);
    assertThat(p.endpoint).isEqualTo("sb://override.example.com/");
    assertThat(p.sharedAccessKeyName).isEqualTo("listen");
    assertThat(p.sharedAccessKey).isEqualTo("canary-key-value");
    assertThat(p.sourceAddress).isEqualTo("127.0.0.1");
    assertThat(p.connectTimeout).isEqualTo(Duration.ofSeconds(20));
    assertThat(p.gatewayPorts).isFalse();
    assertThat(p.keepAliveInterval).isEqualTo(Duration.ofSeconds(15));
    assertThat(p.logLevel).isEqualTo("DEBUG");
    assertThat(p.warnings).singleElement().asString().contains("line 9: ConnectionAttempts: ignored");
    assertThat(p.localRules).extracting(ForwardPlan.LocalRule::hybridConnection)
        .containsExactly("abcxyzrdp", "myrelay", "myrelay");
    assertThat(p.localRules.get(0).bindAddress()).isEqualTo("127.0.10.1");
    assertThat(p.localRules.get(0).effectivePortName()).isEqualTo("3389");
    assertThat(p.localRules.get(1).port()).isEqualTo(5671);
    assertThat(p.localRules.get(1).effectivePortName()).isEqualTo("amqps");
    assertThat(p.localRules.get(1).origin()).endsWith("line 25: LocalForward[1].Bindings[0]");
    assertThat(p.localRules.get(2).socketPath()).isEqualTo("/run/amqp/amqp.sock");
    assertThat(p.localRules.get(2).effectivePortName()).isEqualTo("amqp");
    assertThat(p.hybridConnectionStrings).containsEntry("myrelay", other);
    assertThat(p.anonymousHybridConnections).containsExactly("myrelay");
    assertThat(p.remoteRules).extracting(ForwardPlan.RemoteRule::hybridConnection)
        .containsExactly("abcxyzrdp", "sockets", "brokers", "brokers");
    assertThat(p.remoteRules.get(0).host()).isEqualTo("localhost");
    assertThat(p.remoteRules.get(1).socketPath()).isEqualTo("/run/app/app.sock");
    assertThat(p.remoteRules.get(1).effectivePortName()).isEqualTo("/run/app/app.sock");
    assertThat(p.remoteRules.get(2).host()).isEqualTo("broker.corp.example.com");
    assertThat(p.remoteRules.get(2).effectivePortName()).isEqualTo("amqps");
    assertThat(p.remoteRules.get(3).socketPath()).isEqualTo("/run/amqp.sock");
  }

  /** azbridge's older form: snake_case keys (relay_name, bind_address, port, host, hostport, local_socket). */
  @Test
  void azbridgeFileInTheOlderSnakeCaseForm() throws Exception {
    ForwardPlan p = read(String.join("\n",
        "---",
        "AzureRelayConnectionString: ${RELAY_CS}",
        "GatewayPorts : no",
        "LocalForward:",
        "  - bind_address: 127.0.10.2",
        "    hostname: defijk.intra-us.example.com",
        "    port: 3389",
        "    relay_name: defijk-rdp",
        "  - local_socket: /run/app.sock",
        "    relay_name: app",
        "RemoteForward:",
        "  - relay_name: abcxyz-rdp",
        "    hostport: 3389",
        "  - relay_name: defijk-rdp",
        "    host: defijk.intra-us.example.com",
        "    hostport: 3389",
        "  - relay_name: app",
        "    local_socket: /run/app/app.sock",
        ""));
    assertThat(p.localRules).hasSize(2);
    assertThat(p.localRules.get(0).bindAddress()).isEqualTo("127.0.10.2");
    assertThat(p.localRules.get(0).port()).isEqualTo(3389);
    assertThat(p.localRules.get(0).hybridConnection()).isEqualTo("defijk-rdp");
    assertThat(p.localRules.get(1).socketPath()).isEqualTo("/run/app.sock");
    assertThat(p.remoteRules).hasSize(3);
    assertThat(p.remoteRules.get(0).host()).isEqualTo("localhost");
    assertThat(p.remoteRules.get(0).port()).isEqualTo(3389);
    assertThat(p.remoteRules.get(1).host()).isEqualTo("defijk.intra-us.example.com");
    assertThat(p.remoteRules.get(2).socketPath()).isEqualTo("/run/app/app.sock");
  }

  @Test
  void httpForwardsAsAzbridgeWritesThem() throws Exception {
    ForwardPlan p = read(String.join("\n",
        "HttpTimeout: 7",
        "RemoteForward:",
        "  - RelayName: web",
        "    Http: true",
        "    PortName: https",
        "    Host: intranet.example.com",
        "    HostPort: 8443",
        "    Insecure: true",
        "  - RelayName: plain",
        "    Http: true",
        "    HostPort: 8080",
        "    Path: /app",
        "  - RelayName: tcp",
        "    HostPort: 22",
        ""));
    assertThat(p.httpRules).hasSize(2);
    assertThat(p.httpRules.get(0).uri()).hasToString("https://intranet.example.com:8443/");
    assertThat(p.httpRules.get(0).insecure()).isTrue();
    assertThat(p.httpRules.get(1).uri()).hasToString("http://localhost:8080/app/");
    assertThat(p.httpRules.get(1).insecure()).isFalse();
    assertThat(p.remoteRules).singleElement().extracting(ForwardPlan.RemoteRule::port).isEqualTo(22);
    assertThat(p.httpTimeout).hasSeconds(7);
    assertThat(error("RemoteForward:\n  - RelayName: web\n    Http: true\n    PortName: web\n    HostPort: 80\n"))
        .startsWith("line 4: RemoteForward[0].PortName: the port name of an HTTP forward must be 'http' or 'https'");
    assertThat(error("RemoteForward:\n  - RelayName: web\n    Http: true\n    LocalSocket: /run/a.sock\n"))
        .startsWith("line 4: RemoteForward[0].LocalSocket: an HTTP forward (Http: true) goes to Host and HostPort");
    assertThat(error("RemoteForward:\n  - RelayName: web\n    Path: /x\n    HostPort: 80\n"))
        .startsWith("line 3: RemoteForward[0].Path: applies only to an HTTP forward");
    assertThat(error("HttpTimeout: 0\n")).isEqualTo("line 1: HttpTimeout: must be at least 1 second");
  }

  @Test
  void azbridgeKeysThatAreNotSupportedAreErrorsOrWarnings() throws Exception {
    assertThat(error("LogFileName: forward.log\n")).isEqualTo("line 1: LogFileName: not supported: the tool logs to "
        + "standard error; redirect it, for example 2>>forward.log");
    assertThat(error("AddressFamily: inet6\n")).startsWith("line 1: AddressFamily: 'inet6' is not supported");
    assertThat(error("ClearAllForwardings: true\n")).startsWith("line 1: ClearAllForwardings: true is not supported");
    assertThat(error("RemoteForward:\n  - RelayName: web\n    Insecure: yes\n    HostPort: 443\n"))
        .startsWith("line 3: RemoteForward[0].Insecure: applies only to an HTTP forward");
    assertThat(error("LogLevel: LOUD\n")).startsWith("line 1: LogLevel: must be one of QUIET, FATAL");
    assertThat(error("ConnectTimeout: 500\n")).isEqualTo("line 1: ConnectTimeout: must be 0-120, was 500");
    assertThat(read("ExitOnForwardFailure: false\n").warnings).singleElement().asString()
        .endsWith("line 1: ExitOnForwardFailure: false is ignored: the tool always stops when a forward cannot be set up");
    assertThat(error("LocalForward:\n  - RelayName: a\n    BindPort: 1\n    Bindings:\n      - BindPort: 2\n"))
        .isEqualTo("line 3: LocalForward[0].BindPort: give either Bindings or BindPort on the entry, not both");
    assertThat(error("LocalForward:\n  - RelayName: a\n    BindPort: 1\n    BindLocalSocket: /run/a.sock\n"))
        .isEqualTo("line 2: LocalForward[0]: BindLocalSocket cannot be combined with BindPort or BindAddress");
    assertThat(error("LocalForward:\n  - RelayName: a\n    ConnectionString: Endpoint=sb://x/;Nonsense=1\n    BindPort: 1\n"))
        .startsWith("line 3: LocalForward[0].ConnectionString: The connection string contains unknown parameter");
  }

  /** azbridge writes UDP as a negative port; recognised here and refused until UDP forwarding exists. */
  @Test
  void negativePortsAreUdpRulesAsInAzbridge() throws Exception {
    ForwardPlan local = read("LocalForward:\n  - RelayName: dns\n    BindPort: -5353\n");
    assertThat(local.localRules).hasSize(1);
    assertThat(local.localRules.get(0).udp()).isTrue();
    assertThat(local.localRules.get(0).port()).isEqualTo(5353);
    assertThat(local.localRules.get(0).effectivePortName()).isEqualTo("5353U");
    ForwardPlan remote = read("RemoteForward:\n  - RelayName: dns\n    Host: 10.0.0.53\n    HostPort: -53\n");
    assertThat(remote.remoteRules).hasSize(1);
    assertThat(remote.remoteRules.get(0).udp()).isTrue();
    assertThat(remote.remoteRules.get(0).host()).isEqualTo("10.0.0.53");
    assertThat(remote.remoteRules.get(0).effectivePortName()).isEqualTo("53U");
  }

  @Test
  void proxyProtocolPerBindingAndForAll() throws Exception {
    ForwardPlan p = read(String.join("\n",
        "AzureRelayConnectionString: ${RELAY_CS}",
        "ProxyProtocol: v1",
        "PortNameAttempts: 7",
        "RemoteForward:",
        "  - RelayName: web",
        "    Bindings:",
        "      - PortName: http",
        "        HostPort: 80",
        "        ProxyProtocol: V2",
        "      - PortName: admin",
        "        HostPort: 81",
        "        ProxyProtocol: none",
        "      - PortName: other",
        "        HostPort: 82",
        ""));
    assertThat(p.proxyProtocol).isEqualTo("v1");
    assertThat(p.portNameAttempts).isEqualTo(7);
    assertThat(p.remoteRules).hasSize(3);
    assertThat(p.ruleProxyProtocols.get(p.remoteRules.get(0))).isEqualTo("v2");
    assertThat(p.ruleProxyProtocols.get(p.remoteRules.get(1))).isEqualTo("none");
    assertThat(p.ruleProxyProtocols.get(p.remoteRules.get(2))).isNull();
    assertThat(error(String.join("\n", "AzureRelayConnectionString: ${RELAY_CS}", "RemoteForward:",
        "  - RelayName: web", "    HostPort: 80", "    ProxyProtocol: v9", "")))
        .contains("RemoteForward[0].ProxyProtocol").contains("use v1 or v2");
    assertThat(error(String.join("\n", "AzureRelayConnectionString: ${RELAY_CS}", "RemoteForward:",
        "  - RelayName: dns", "    HostPort: -53", "    ProxyProtocol: v1", "")))
        .contains("not to a UDP forward");
  }

  @Test
  void dashOAndDashAAsInAzbridge() throws Exception {
    ForwardCommand cmd = new ForwardCommand();
    new CommandLine(cmd).parseArgs("-x", CS, "-o", "GatewayPorts:yes", "-o", "KeepAliveInterval:10", "-o",
        "StrictPortNames:true", "-L", "0.0.0.0:8080:hc", "-T", "hc:22");
    ForwardPlan p = cmd.plan();
    assertThat(p.gatewayPorts).isTrue();
    assertThat(p.keepAliveInterval).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.strictPortNames).isTrue();
    ForwardCommand a = new ForwardCommand();
    new CommandLine(a).parseArgs("-x", CS, "-o", "KeepAliveInterval:10", "-a", "45", "-T", "hc:22");
    assertThat(a.plan().keepAliveInterval).isEqualTo(Duration.ofSeconds(45));
    ForwardCommand bad = new ForwardCommand();
    new CommandLine(bad).parseArgs("-x", CS, "-o", "GatewayPort:yes", "-T", "hc:22");
    assertThatThrownBy(bad::plan).hasMessageStartingWith("-o GatewayPort: unknown key; known keys here: AddressFamily");
    ForwardCommand secret = new ForwardCommand();
    new CommandLine(secret).parseArgs("-x", CS, "-o", "AzureRelayConnectionString:canary-key-value", "-T", "hc:22");
    assertThatThrownBy(secret::plan).hasMessageStartingWith("-o AzureRelayConnectionString: ")
        .hasMessageNotContaining("canary-key-value");
    ForwardCommand forwards = new ForwardCommand();
    new CommandLine(forwards).parseArgs("-x", CS, "-o", "LocalForward:8080", "-T", "hc:22");
    assertThatThrownBy(forwards::plan).hasMessage("-o LocalForward: give forwards with -L and -T (or in a file with -f), "
        + "not with -o");
  }
}
