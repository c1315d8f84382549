package dev.hybridrelay.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.forward.AbstractForwardingTest.Recorder;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * UDP forwarding end to end with a real UDP application: a UDP client → {@link UdpLocalForwarder}
 * → the local relay server → {@link RemoteForwarder} with a {@link UdpTarget} → a {@code socat} UDP
 * echo, and back.
 */
class UdpForwardingTest {
  private static final String RULE = "udp";
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static final AtomicInteger HCS = new AtomicInteger();
  private static final int MAX = 65_507;
  private static LocalRelayServer relay;

  private final Recorder localEvents = new Recorder();
  private final Recorder remoteEvents = new Recorder();
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @BeforeAll
  static void startRelay() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
  }

  @AfterAll
  static void stopRelay() {
    if (relay != null) {
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    cleanup.add(c);
    return c;
  }

  private static RelayConnectionString newHybridConnection() {
    return RelayConnectionString.parse(relay.connectionString(RULE, "udp-" + HCS.incrementAndGet()));
  }

  /** A remote forwarder for {@code cs} with the given UDP and TCP targets, started. */
  private RemoteForwarder remote(RelayConnectionString cs, ForwardOptions options, UdpTarget udp, ForwardTarget tcp)
      throws IOException {
    RemoteForwarder.Builder b = RemoteForwarder.builder(cs).options(options).events(remoteEvents);
    if (udp != null) {
      b.udpTarget(udp);
    }
    if (tcp != null) {
      b.target(tcp);
    }
    RemoteForwarder r = track(b.build());
    r.start();
    return r;
  }

  private UdpLocalForwarder local(RelayConnectionString cs, ForwardOptions options, String portName, InetAddress bind)
      throws IOException {
    UdpLocalForwarder l = track(UdpLocalForwarder.builder(cs).portName(portName).options(options)
        .bindAddress(bind).events(localEvents).build());
    l.start();
    return l;
  }

  private static DatagramSocket client() throws IOException {
    DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    s.setReceiveBufferSize(8 << 20);
    s.setSendBufferSize(8 << 20);
    return s;
  }

  /** Sends {@code payload} until it comes back unchanged; returns the attempts it took. */
  private static int echoOnce(DatagramSocket s, InetSocketAddress to, byte[] payload) throws IOException {
    s.setSoTimeout(1000);
    byte[] in = new byte[MAX + 1];
    for (int attempt = 1; attempt <= 20; attempt++) {
      s.send(new DatagramPacket(payload, payload.length, to));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      while (System.nanoTime() < deadline) {
        DatagramPacket r = new DatagramPacket(in, in.length);
        try {
          s.receive(r);
        } catch (SocketTimeoutException e) {
          break;
        }
        if (Arrays.equals(in, 0, r.getLength(), payload, 0, payload.length)) {
          return attempt;
        }
      }
    }
    throw new AssertionError("a datagram of " + payload.length + " bytes never came back in 20 attempts");
  }

  private static byte[] random(SplittableRandom rnd, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) rnd.nextInt(256);
    }
    return b;
  }

  @Test
  @Timeout(180)
  void socatEchoAtOneThousandDatagramsPerSecondSizesOneTo65507NoneCorrupted() throws Exception {
    try (SocatUdpEcho echo = SocatUdpEcho.start()) {
      RelayConnectionString cs = newHybridConnection();
      RemoteForwarder remote = remote(cs, ForwardOptions.defaults(), new UdpTarget("echo", "127.0.0.1", echo.port()),
          null);
      UdpLocalForwarder local = local(cs, ForwardOptions.defaults(), "echo", null);
      InetSocketAddress to = local.localAddress();
      SplittableRandom rnd = new SplittableRandom(20261202);
      try (DatagramSocket s = client()) {
        // Lockstep: every size of 1-16 bytes, the extremes and a few between, each echoed byte-exact.
        List<Integer> lockstep = new ArrayList<>();
        for (int n = 1; n <= 16; n++) {
          lockstep.add(n);
        }
        lockstep.addAll(List.of(1400, 1500, 8192, 32768, 65000, MAX - 1, MAX));
        int retries = 0;
        for (int n : lockstep) {
          retries += echoOnce(s, to, random(rnd, n)) - 1;
        }

        // Stream: 1,000 datagrams per second, sizes 16-65,507 (a third up to 65,507, the rest up to
        // 1,500, and every 250th of the largest size), each carrying its sequence number, its length
        // and a CRC-32 of the rest.
        int count = Integer.getInteger("udp.datagrams", 5000);
        int[] sizes = new int[count];
        for (int i = 0; i < count; i++) {
          sizes[i] = i % 250 == 0 ? MAX : rnd.nextInt(3) == 0 ? 16 + rnd.nextInt(MAX - 15) : 16 + rnd.nextInt(1485);
        }
        BitSet seen = new BitSet(count);
        AtomicLong corrupted = new AtomicLong();
        AtomicLong duplicates = new AtomicLong();
        AtomicLong maxReceived = new AtomicLong();
        AtomicLong minReceived = new AtomicLong(Long.MAX_VALUE);
        s.setSoTimeout(3000);
        Thread receiver = new Thread(() -> {
          byte[] in = new byte[MAX + 1];
          while (true) {
            DatagramPacket r = new DatagramPacket(in, in.length);
            try {
              s.receive(r);
            } catch (IOException e) {
              return; // 3 s of silence after the last one: done
            }
            int len = r.getLength();
            ByteBuffer b = ByteBuffer.wrap(in, 0, len);
            if (len < 16) {
              corrupted.incrementAndGet();
              continue;
            }
            int seq = b.getInt(0);
            int declared = b.getInt(4);
            CRC32 crc = new CRC32();
            crc.update(in, 0, 8);
            crc.update(in, 16, len - 16);
            if (seq < 0 || seq >= count || declared != len || sizes[seq] != len || b.getLong(8) != crc.getValue()) {
              corrupted.incrementAndGet();
              continue;
            }
            synchronized (seen) {
              if (seen.get(seq)) {
                duplicates.incrementAndGet();
              }
              seen.set(seq);
            }
            maxReceived.accumulateAndGet(len, Math::max);
            minReceived.accumulateAndGet(len, Math::min);
          }
        }, "udp-test-receiver");
        receiver.start();
        byte[] out = new byte[MAX];
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
          int len = sizes[i];
          for (int j = 16; j < len; j++) {
            out[j] = (byte) rnd.nextInt(256);
          }
          ByteBuffer b = ByteBuffer.wrap(out);
          b.putInt(0, i).putInt(4, len);
          CRC32 crc = new CRC32();
          crc.update(out, 0, 8);
          crc.update(out, 16, len - 16);
          b.putLong(8, crc.getValue());
          long due = start + i * 1_000_000L; // one per millisecond
          long wait = due - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
          s.send(new DatagramPacket(out, len, to));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        receiver.join(TimeUnit.SECONDS.toMillis(60));
        int received = seen.cardinality();
        long bytesSent = Arrays.stream(sizes).asLongStream().sum();
        System.out.printf(java.util.Locale.ROOT,
            "UDP echo through the relay: sent %d datagrams (%.1f MiB) in %.2f s (%.0f/s), received %d, lost %d (%.2f%%), "
                + "corrupted %d, duplicated %d; stream sizes %d-%d received; lockstep sizes 1-16, 1400, 1500, 8192, "
                + "32768, 65000, 65506, 65507 echoed byte-exact (%d retries); local %s; remote %s%n",
            count, bytesSent / 1048576.0, seconds, count / seconds, received, count - received,
            100.0 * (count - received) / count, corrupted.get(), duplicates.get(), minReceived.get(), maxReceived.get(),
            retries, local.datagramStats(), remote.datagramStats());
        assertThat(corrupted.get()).as("corrupted datagrams").isZero();
        assertThat(duplicates.get()).as("duplicated datagrams").isZero();
        assertThat(received).as("datagrams back of %d (UDP may lose some, not most)", count)
            .isGreaterThan(count / 2);
        assertThat(maxReceived.get()).isEqualTo(MAX);
        assertThat(local.connections()).hasSize(1);
        assertThat(remote.connections()).hasSize(1);
        assertThat(local.datagramStats().malformedFlows()).isZero();
      }
    }
  }

  @Test
  @Timeout(90)
  void severalSourceEndpointsGetOneFlowEachAndTheirOwnReplies() throws Exception {
    try (SocatUdpEcho echo = SocatUdpEcho.start()) {
      RelayConnectionString cs = newHybridConnection();
      RemoteForwarder remote = remote(cs, ForwardOptions.defaults(),
          new UdpTarget(UdpTarget.defaultPortName(echo.port()), "127.0.0.1", echo.port()), null);
      UdpLocalForwarder local = local(cs, ForwardOptions.defaults(), UdpTarget.defaultPortName(echo.port()), null);
      List<DatagramSocket> clients = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          clients.add(client());
        }
        for (int round = 0; round < 3; round++) {
          for (int i = 0; i < clients.size(); i++) {
            byte[] msg = ("client " + i + " round " + round + " from " + clients.get(i).getLocalPort())
                .getBytes(StandardCharsets.UTF_8);
            // echoOnce accepts only this client's own message, so a reply routed to another flow fails it
            echoOnce(clients.get(i), local.localAddress(), msg);
          }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> local.connections().size() == 4
            && remote.connections().size() == 4);
        assertThat(local.connections()).allSatisfy(c -> assertThat(c).isInstanceOf(ForwardedFlow.class));
        assertThat(local.connections().stream().map(c -> c.tcpPeer().getPort()).distinct())
            .containsExactlyInAnyOrderElementsOf(clients.stream().map(DatagramSocket::getLocalPort).toList());
        // one UDP socket per flow on the remote side: four distinct source ports toward the target
        assertThat(remote.connections().stream().map(ForwardedConnection::trackingId).distinct()).hasSize(4);
        assertThat(local.stats().totalConnections()).isEqualTo(4);
        assertThat(localEvents.refused).isEmpty();
        assertThat(remoteEvents.refused).isEmpty();
      } finally {
        clients.forEach(DatagramSocket::close);
      }
    }
  }

  @Test
  @Timeout(90)
  void anIdleFlowIsClosedAndTheNextDatagramOpensANewOne() throws Exception {
    try (SocatUdpEcho echo = SocatUdpEcho.start()) {
      RelayConnectionString cs = newHybridConnection();
      ForwardOptions shortIdle = ForwardOptions.builder().udpIdleTimeout(Duration.ofSeconds(1)).build();
      RemoteForwarder remote = remote(cs, ForwardOptions.builder().udpIdleTimeout(Duration.ofMinutes(4)).build(),
          new UdpTarget("echo", "127.0.0.1", echo.port()), null);
      UdpLocalForwarder local = local(cs, shortIdle, "echo", null);
      try (DatagramSocket s = client()) {
        echoOnce(s, local.localAddress(), "first".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(20)).until(() -> localEvents.closed.size() == 1);
        assertThat(localEvents.closed.get(0).outcome()).contains(ForwardOutcome.IDLE_TIMEOUT);
        // the local side closed the relay connection cleanly: the remote flow ends too, cleanly
        await().atMost(Duration.ofSeconds(20)).until(() -> remoteEvents.closed.size() == 1);
        assertThat(remoteEvents.closed.get(0).outcome()).contains(ForwardOutcome.CLOSED);
        assertThat(remote.connections()).isEmpty();

        echoOnce(s, local.localAddress(), "second".getBytes(StandardCharsets.UTF_8));
        assertThat(local.stats().totalConnections()).isEqualTo(2);
        assertThat(local.stats().failedConnections()).isZero();
      }
    }
  }

  @Test
  @Timeout(60)
  void aDatagramLargerThan65507BytesIsRefusedAndCountedWithoutHarmingTheFlow() throws Exception {
    InetAddress v6 = InetAddress.getByName("::1");
    try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(v6, 0))) {
      assertThat(probe.getLocalAddress()).isInstanceOf(Inet6Address.class);
    } catch (IOException e) {
      Assumptions.abort("no IPv6 loopback here: " + e.getMessage());
    }
    // Over IPv4 no datagram can exceed 65,507 bytes; over IPv6 up to 65,527 can, so that is where
    // the limit is enforced. The echo target here is a plain Java socket (socat listens on IPv4).
    try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      Thread t = new Thread(() -> {
        byte[] in = new byte[70_000];
        while (!target.isClosed()) {
          DatagramPacket p = new DatagramPacket(in, in.length);
          try {
            target.receive(p);
            target.send(new DatagramPacket(in, p.getLength(), p.getSocketAddress()));
          } catch (IOException e) {
            return;
          }
        }
      }, "udp-test-echo");
      t.setDaemon(true);
      t.start();
      RelayConnectionString cs = newHybridConnection();
      remote(cs, ForwardOptions.defaults(), new UdpTarget("echo", "127.0.0.1", target.getLocalPort()), null);
      UdpLocalForwarder local = local(cs, ForwardOptions.defaults(), "echo", v6);
      try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(v6, 0))) {
        s.setSendBufferSize(1 << 20);
        echoOnce(s, local.localAddress(), "before".getBytes(StandardCharsets.UTF_8));
        s.send(new DatagramPacket(new byte[MAX + 1], MAX + 1, local.localAddress()));
        s.send(new DatagramPacket(new byte[65_527], 65_527, local.localAddress()));
        await().atMost(Duration.ofSeconds(10)).until(() -> local.datagramStats().datagramsTooLarge() == 2);
        byte[] max = new byte[MAX];
        Arrays.fill(max, (byte) 7);
        echoOnce(s, local.localAddress(), max);
        echoOnce(s, local.localAddress(), "after".getBytes(StandardCharsets.UTF_8));
        assertThat(local.stats().totalConnections()).isEqualTo(1);
        assertThat(local.connections()).hasSize(1);
        assertThat(local.datagramStats().malformedFlows()).isZero();
      }
    }
  }

  @Test
  @Timeout(60)
  void aFrameAnnouncingMoreThan65507BytesClosesThatFlowOnlyWithAClearError() throws Exception {
    try (SocatUdpEcho echo = SocatUdpEcho.start()) {
      RelayConnectionString cs = newHybridConnection();
      RemoteForwarder remote = remote(cs, ForwardOptions.defaults(), new UdpTarget("echo", "127.0.0.1", echo.port()),
          null);
      UdpLocalForwarder local = local(cs, ForwardOptions.defaults(), "echo", null);
      try (DatagramSocket s = client()) {
        echoOnce(s, local.localAddress(), "good flow".getBytes(StandardCharsets.UTF_8));

        // A hostile sender: a correct datagram-mode preamble, then a frame header of 65,508 bytes.
        RelaySender sender = RelaySender.builder(cs).build();
        try (RelayConnection bad = sender.connect(Duration.ofSeconds(20))) {
          bad.setReadTimeout(Duration.ofSeconds(20));
          byte[] name = "echo".getBytes(StandardCharsets.US_ASCII);
          OutputStream out = bad.getOutputStream();
          out.write(new byte[] {1, 0, 1, (byte) name.length});
          out.write(name);
          out.flush();
          InputStream in = bad.getInputStream();
          assertThat(in.readNBytes(3)).containsExactly(1, 0, 1);
          out.write(new byte[] {0, 3, 'o', 'k', '!'}); // a valid frame first: echoed
          out.flush();
          assertThat(in.readNBytes(5)).containsExactly(0, 3, 'o', 'k', '!');
          out.write(new byte[] {(byte) 0xff, (byte) 0xe4}); // 65,508
          out.write(new byte[100]);
          out.flush();
          await().atMost(Duration.ofSeconds(20)).until(() -> remote.datagramStats().malformedFlows() == 1);
          // the forwarder aborted that relay connection: reading fails instead of a clean end
          org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
            while (in.read() >= 0) {
              // drain
            }
            throw new IOException("clean end");
          }).isInstanceOf(IOException.class).satisfies(e -> assertThat(e.getMessage()).isNotEqualTo("clean end"));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> remoteEvents.closed.stream()
            .anyMatch(c -> c.outcome().orElse(null) == ForwardOutcome.MALFORMED));
        ForwardedConnection malformed = remoteEvents.closed.stream()
            .filter(c -> c.outcome().orElse(null) == ForwardOutcome.MALFORMED).findFirst().orElseThrow();
        assertThat(malformed.failure().orElseThrow().getMessage()).contains("65508").contains("at most 65507");
        // the other flow is untouched
        echoOnce(s, local.localAddress(), "still good".getBytes(StandardCharsets.UTF_8));
        assertThat(local.stats().totalConnections()).isEqualTo(1);
        assertThat(local.connections()).hasSize(1);
      }
    }
  }

  @Test
  @Timeout(60)
  void aHostileRemoteSendingAnOversizedFrameClosesOnlyThatSourcesFlow() throws Exception {
    // A raw listener in place of the remote forwarder: accepts datagram mode, then echoes each frame,
    // except that it answers a datagram "evil" with a frame header announcing 65,535 bytes.
    RelayConnectionString cs = newHybridConnection();
    RelayListener hostile = track(RelayListener.builder(cs).connectionHandler(c -> {
      try {
        InputStream in = c.getInputStream();
        OutputStream out = c.getOutputStream();
        byte[] head = in.readNBytes(4);
        in.readNBytes(head[3] & 0xff);
        out.write(new byte[] {1, 0, 1});
        out.flush();
        while (true) {
          byte[] len = in.readNBytes(2);
          if (len.length < 2) {
            return;
          }
          byte[] payload = in.readNBytes(((len[0] & 0xff) << 8) | (len[1] & 0xff));
          if (new String(payload, StandardCharsets.UTF_8).equals("evil")) {
            out.write(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3});
          } else {
            out.write(len);
            out.write(payload);
          }
          out.flush();
        }
      } catch (IOException e) {
        // the forwarder aborted the connection
      }
    }).build());
    hostile.open();
    UdpLocalForwarder local = local(cs, ForwardOptions.defaults(), "echo", null);
    try (DatagramSocket good = client(); DatagramSocket bad = client()) {
      echoOnce(good, local.localAddress(), "good".getBytes(StandardCharsets.UTF_8));
      echoOnce(bad, local.localAddress(), "bad, at first".getBytes(StandardCharsets.UTF_8));
      bad.send(new DatagramPacket("evil".getBytes(StandardCharsets.UTF_8), 4, local.localAddress()));
      await().atMost(Duration.ofSeconds(20)).until(() -> local.datagramStats().malformedFlows() == 1);
      await().atMost(Duration.ofSeconds(20)).until(() -> localEvents.closed.size() == 1);
      ForwardedConnection closed = localEvents.closed.get(0);
      assertThat(closed.tcpPeer().getPort()).isEqualTo(bad.getLocalPort());
      assertThat(closed.outcome()).contains(ForwardOutcome.MALFORMED);
      assertThat(closed.failure().orElseThrow().getMessage()).contains("65535").contains("at most 65507");
      // the other source's flow goes on, and the bad source gets a fresh flow
      echoOnce(good, local.localAddress(), "good again".getBytes(StandardCharsets.UTF_8));
      echoOnce(bad, local.localAddress(), "bad, new flow".getBytes(StandardCharsets.UTF_8));
      assertThat(local.stats().totalConnections()).isEqualTo(3);
      assertThat(local.connections()).hasSize(2);
    }
  }

  @Test
  @Timeout(60)
  void modeMismatchesAreAnsweredAsAzbridge() throws Exception {
    try (TcpPeers.Server tcp = new TcpPeers.Server(sock -> { })) {
      RelayConnectionString cs = newHybridConnection();
      remote(cs, ForwardOptions.defaults(), new UdpTarget("dns", "127.0.0.1", 9), new ForwardTarget("web", "127.0.0.1",
          tcp.port()));
      RelaySender sender = RelaySender.builder(cs).build();
      // datagram mode for the TCP target: [0,0,255]
      assertThat(rawPreamble(sender, 1, "web")).containsExactly(0, 0, 255);
      // stream mode for the UDP target: [0,0,1]
      assertThat(rawPreamble(sender, 0, "dns")).containsExactly(0, 0, 1);
      // matching modes: [1,0,mode]
      assertThat(rawPreamble(sender, 1, "dns")).containsExactly(1, 0, 1);
      assertThat(rawPreamble(sender, 0, "web")).containsExactly(1, 0, 0);

      // the forwarders themselves: a UDP local forwarder against the TCP target is refused (0,0,255) ...
      UdpLocalForwarder udpLocal = local(cs, ForwardOptions.defaults(), "web", null);
      try (DatagramSocket s = client()) {
        s.send(new DatagramPacket(new byte[10], 10, udpLocal.localAddress()));
        await().atMost(Duration.ofSeconds(20)).until(() -> !localEvents.refused.isEmpty());
        assertThat(localEvents.refused.get(0).message()).contains("TCP target").contains("0,0,255");
        assertThat(udpLocal.connections()).isEmpty();
      }
      // ... and a TCP local forwarder against the UDP target (0,0,1)
      Recorder tcpEvents = new Recorder();
      LocalForwarder tcpLocal = track(LocalForwarder.builder(cs).portName("dns").events(tcpEvents).build());
      tcpLocal.start();
      try (Socket c = TcpPeers.connect(tcpLocal.localPort())) {
        await().atMost(Duration.ofSeconds(20)).until(() -> !tcpEvents.refused.isEmpty());
        assertThat(tcpEvents.refused.get(0).message()).contains("UDP target").contains("0,0,1");
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> remoteEvents.refused.size() >= 4);
      assertThat(remoteEvents.refused).anySatisfy(f -> assertThat(f.message()).contains("answered 0,0,255"))
          .anySatisfy(f -> assertThat(f.message()).contains("answered 0,0,1"));
    }
  }

  /** Writes an azbridge preamble and returns the 3-byte reply. */
  private static byte[] rawPreamble(RelaySender sender, int mode, String portName) throws IOException {
    try (RelayConnection c = sender.connect(Duration.ofSeconds(20))) {
      c.setReadTimeout(Duration.ofSeconds(20));
      byte[] name = portName.getBytes(StandardCharsets.UTF_8);
      c.getOutputStream().write(new byte[] {1, 0, (byte) mode, (byte) name.length});
      c.getOutputStream().write(name);
      c.getOutputStream().flush();
      return c.getInputStream().readNBytes(3);
    }
  }
}
