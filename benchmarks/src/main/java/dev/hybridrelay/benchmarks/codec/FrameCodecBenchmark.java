package dev.hybridrelay.benchmarks.codec;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Role;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.Framedata;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Client → server masked binary frames: Java-WebSocket 1.6.0 {@code Draft_6455} (what relay-core
 * uses today) against the {@link FrameCodec} prototype, for encode, decode and masking alone.
 *
 * <ul>
 *   <li>{@code jwsEncode}: {@code createFrames(buf, true)} + {@code createBinaryFrame}, the path of
 *       {@code WebSocketImpl.send(ByteBuffer)} in the client role (new buffer per frame,
 *       {@code SecureRandom.nextInt()} per frame, byte-by-byte masking).
 *   <li>{@code relayDraftEncode}: the same Java-WebSocket path through relay-core's production
 *       {@code RelayDraft}, whose {@code createBinaryFrame} writes the header directly and masks eight
 *       bytes at a time with pooled mask keys ({@code FrameMasking}).
 *   <li>{@code inhouseEncode}: header + word-wide masking into a reused buffer, batched mask keys.
 *   <li>{@code jwsDecode} / {@code inhouseDecode}: the encoded frame is fed in 64 KiB reads, as
 *       {@code WebSocketClient} reads its socket ({@code DEFAULT_READ_BUFFER_SIZE}); Java-WebSocket
 *       copies partial frames into a frame-sized buffer and allocates the payload, the prototype
 *       unmasks in place.
 *   <li>{@code jwsDecodeUnmasked} / {@code relayDraftDecodeUnmasked} / {@code inhouseDecodeUnmasked}:
 *       the same for the unmasked server → client frames that relay-core's clients actually receive
 *       from the relay; {@code relayDraftDecodeUnmasked} is relay-core's production
 *       {@code RelayDraft.translateFrame}, which copies a frame split across reads once, straight
 *       into its payload buffer.
 *   <li>{@code maskBytewise} / {@code maskWordwise}: the masking loop alone.
 * </ul>
 *
 * <p>Run (quick): {@code java -jar benchmarks/target/benchmarks.jar FrameCodecBenchmark -f 1 -wi 2
 * -i 3 -r 2s -prof gc}. Throughput is in operations (frames) per second; multiply by {@code size}
 * for bytes per second. {@code gc.alloc.rate.norm} is the allocation per frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FrameCodecBenchmark {
  /** Java-WebSocket's client read buffer (AbstractWebSocket.DEFAULT_READ_BUFFER_SIZE). */
  static final int READ_CHUNK = 65536;

  @Param({"1024", "16384", "65536"})
  public int size;

  private byte[] payload;
  private byte[] encoded;
  private int encodedLength;
  private byte[] out;
  private byte[] readBuffer;
  private Draft_6455 clientDraft;
  private Draft_6455 serverDraft;
  private Draft_6455 relayDraft;
  private Draft_6455 relayDecodeDraft;
  private FrameCodec.MaskKeys keys;
  private FrameCodec.Decoder decoder;
  private int maskKey;
  private byte[] encodedServer;
  private FrameCodec.Decoder clientDecoder;
  private Blackhole sinkHole;
  private final FrameCodec.Sink sink = (op, fin, data, off, len, end) -> sinkHole.consume(len);

  @Setup
  public void setup(Blackhole bh) {
    sinkHole = bh;
    payload = new byte[size];
    ThreadLocalRandom.current().nextBytes(payload);
    clientDraft = new Draft_6455();
    clientDraft.setParseMode(Role.CLIENT);
    relayDraft = RelayDraftAccess.clientDraft(Integer.MAX_VALUE);
    relayDecodeDraft = RelayDraftAccess.clientDraft(Integer.MAX_VALUE);
    serverDraft = new Draft_6455();
    serverDraft.setParseMode(Role.SERVER);
    keys = new FrameCodec.MaskKeys(new SecureRandom());
    decoder = new FrameCodec.Decoder(Integer.MAX_VALUE);
    out = new byte[size + FrameCodec.MAX_HEADER];
    readBuffer = new byte[READ_CHUNK];
    maskKey = 0x5A3C_96E1;
    // Encoded with Java-WebSocket so that both decoders read the same bytes.
    ByteBuffer frame = clientDraft.createBinaryFrame(
        clientDraft.createFrames(ByteBuffer.wrap(payload.clone()), true).get(0));
    encodedLength = frame.remaining();
    encoded = new byte[encodedLength];
    frame.get(encoded);
    // Server → client frames are not masked: what the relay sends to both of its clients.
    encodedServer = new byte[size + FrameCodec.MAX_HEADER];
    int h = FrameCodec.writeHeader(encodedServer, 0, FrameCodec.OP_BINARY, true, size, false, 0);
    System.arraycopy(payload, 0, encodedServer, h, size);
    encodedServer = java.util.Arrays.copyOf(encodedServer, h + size);
    clientDecoder = new FrameCodec.Decoder(Integer.MAX_VALUE);
    verify();
  }

  private void verify() {
    byte[] back = new byte[size];
    int[] got = {0};
    byte[] copy = encoded.clone();
    new FrameCodec.Decoder(Integer.MAX_VALUE).decode(copy, 0, copy.length,
        (op, fin, data, off, len, end) -> {
          System.arraycopy(data, off, back, got[0], len);
          got[0] += len;
        });
    if (got[0] != size || !java.util.Arrays.equals(back, payload)) {
      throw new IllegalStateException("prototype decoder disagrees with Draft_6455");
    }
    int n = FrameCodec.encodeClientBinary(payload, 0, size, maskKey, out, 0);
    try {
      List<Framedata> frames = serverDraft.translateFrame(ByteBuffer.wrap(out, 0, n));
      ByteBuffer p = frames.get(0).getPayloadData();
      byte[] b = new byte[p.remaining()];
      p.get(b);
      if (!java.util.Arrays.equals(b, payload)) {
        throw new IllegalStateException("Draft_6455 cannot read the prototype's frame");
      }
    } catch (InvalidDataException e) {
      throw new IllegalStateException(e);
    }
    serverDraft.reset();
    try {
      ByteBuffer pf = relayDraft.createBinaryFrame(
          relayDraft.createFrames(ByteBuffer.wrap(payload.clone()), true).get(0));
      ByteBuffer p = serverDraft.translateFrame(pf).get(0).getPayloadData();
      byte[] b = new byte[p.remaining()];
      p.get(b);
      if (!java.util.Arrays.equals(b, payload)) {
        throw new IllegalStateException("Draft_6455 cannot read RelayDraft's frame");
      }
    } catch (InvalidDataException e) {
      throw new IllegalStateException(e);
    }
    serverDraft.reset();
    try {
      Draft_6455 d = RelayDraftAccess.clientDraft(Integer.MAX_VALUE);
      List<Framedata> decoded = new java.util.ArrayList<>();
      for (int off = 0; off < encodedServer.length; off += READ_CHUNK) {
        int len = Math.min(READ_CHUNK, encodedServer.length - off);
        decoded.addAll(d.translateFrame(ByteBuffer.wrap(encodedServer, off, len).slice()));
      }
      ByteBuffer p = decoded.get(0).getPayloadData();
      byte[] b = new byte[p.remaining()];
      p.get(b);
      if (decoded.size() != 1 || !java.util.Arrays.equals(b, payload)) {
        throw new IllegalStateException("RelayDraft does not decode the server frame");
      }
    } catch (InvalidDataException e) {
      throw new IllegalStateException(e);
    }
  }

  @Benchmark
  public ByteBuffer jwsEncode() {
    List<Framedata> frames = clientDraft.createFrames(ByteBuffer.wrap(payload), true);
    return clientDraft.createBinaryFrame(frames.get(0));
  }

  /** relay-core's {@code RelayDraft}: {@code createBinaryFrame} with word-wide masking. */
  @Benchmark
  public ByteBuffer relayDraftEncode() {
    List<Framedata> frames = relayDraft.createFrames(ByteBuffer.wrap(payload), true);
    return relayDraft.createBinaryFrame(frames.get(0));
  }

  /**
   * As {@link #relayDraftEncode}, the frame given back to the pool as {@code RelayWebSocket} does
   * once the socket took it: the steady state of a sending connection (frames over 1,000 bytes are
   * pooled direct buffers; without the release every frame would be a new direct buffer).
   */
  @Benchmark
  public int relayDraftEncodePooled() {
    List<Framedata> frames = relayDraft.createFrames(ByteBuffer.wrap(payload), true);
    ByteBuffer frame = relayDraft.createBinaryFrame(frames.get(0));
    int last = frame.get(frame.limit() - 1);
    RelayDraftAccess.release(frame);
    return last;
  }

  @Benchmark
  public int inhouseEncode() {
    return FrameCodec.encodeClientBinary(payload, 0, size, keys.next(), out, 0);
  }

  @Benchmark
  public void jwsDecode(Blackhole bh) throws InvalidDataException {
    for (int off = 0; off < encodedLength; off += READ_CHUNK) {
      int n = Math.min(READ_CHUNK, encodedLength - off);
      System.arraycopy(encoded, off, readBuffer, 0, n);
      List<Framedata> frames = serverDraft.translateFrame(ByteBuffer.wrap(readBuffer, 0, n));
      for (int i = 0; i < frames.size(); i++) {
        bh.consume(frames.get(i).getPayloadData());
      }
    }
  }

  @Benchmark
  public void inhouseDecode() {
    for (int off = 0; off < encodedLength; off += READ_CHUNK) {
      int n = Math.min(READ_CHUNK, encodedLength - off);
      System.arraycopy(encoded, off, readBuffer, 0, n);
      decoder.decode(readBuffer, 0, n, sink);
    }
  }

  /** Client side of a relay connection: an unmasked server frame through Java-WebSocket. */
  @Benchmark
  public void jwsDecodeUnmasked(Blackhole bh) throws InvalidDataException {
    for (int off = 0; off < encodedServer.length; off += READ_CHUNK) {
      int n = Math.min(READ_CHUNK, encodedServer.length - off);
      System.arraycopy(encodedServer, off, readBuffer, 0, n);
      List<Framedata> frames = clientDraft.translateFrame(ByteBuffer.wrap(readBuffer, 0, n));
      for (int i = 0; i < frames.size(); i++) {
        bh.consume(frames.get(i).getPayloadData());
      }
    }
  }

  /** Client side of a relay connection: an unmasked server frame through relay-core's RelayDraft. */
  @Benchmark
  public void relayDraftDecodeUnmasked(Blackhole bh) throws InvalidDataException {
    for (int off = 0; off < encodedServer.length; off += READ_CHUNK) {
      int n = Math.min(READ_CHUNK, encodedServer.length - off);
      System.arraycopy(encodedServer, off, readBuffer, 0, n);
      List<Framedata> frames = relayDecodeDraft.translateFrame(ByteBuffer.wrap(readBuffer, 0, n));
      for (int i = 0; i < frames.size(); i++) {
        bh.consume(frames.get(i).getPayloadData());
      }
    }
  }

  /** Client side of a relay connection: an unmasked server frame through the prototype. */
  @Benchmark
  public void inhouseDecodeUnmasked() {
    for (int off = 0; off < encodedServer.length; off += READ_CHUNK) {
      int n = Math.min(READ_CHUNK, encodedServer.length - off);
      System.arraycopy(encodedServer, off, readBuffer, 0, n);
      clientDecoder.decode(readBuffer, 0, n, sink);
    }
  }

  @Benchmark
  public byte[] maskBytewise() {
    Masking.maskBytewise(payload, 0, out, 0, size, maskKey, 0);
    return out;
  }

  @Benchmark
  public byte[] maskWordwise() {
    Masking.maskWordwise(payload, 0, out, 0, size, maskKey, 0);
    return out;
  }
}
