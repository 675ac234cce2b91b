package io.pekkoraft.persistence.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter;
import org.apache.pekko.actor.typed.internal.adapter.ActorSystemAdapter;

/**
 * Turns registered objects into bytes and back. Thread-safe: a Kryo instance is not, so each call
 * borrows one: the one this thread used last, or else one from a shared pool (whose queue takes a lock,
 * which many threads serializing at once would otherwise contend for on every message). Every instance
 * is configured by the same registrars in the same order, and {@link StrictKryo} refuses conflicting ids,
 * so two codecs built from the same registrar list read each other's bytes.
 *
 * <p>The bytes carry no checksum: the journal and the transport keep them intact. What the codec does
 * promise is that bytes it cannot fully account for (truncated, trailing garbage, unknown class ids,
 * impossible lengths) fail with a {@link RaftSerializationException}, not with a wrong object.
 */
public final class KryoCodec {

  /**
   * Kryo instances kept for reuse besides the one each thread keeps. More threads than this may serialize
   * at once (each then builds its own instance), but the pool keeps no more, bounding the memory of idle
   * instances.
   */
  private static final int POOL_SIZE_MAX = 64;

  /** First buffer size; the output grows as needed, so this only saves copies for small messages. */
  private static final int OUTPUT_BYTES_INITIAL = 256;

  /** Ids of the typed ActorRef classes, the top of the persistence range (see {@link KryoRegistrar}). */
  private static final int ACTOR_REF_ADAPTER_ID = 190;

  private static final int ACTOR_SYSTEM_ADAPTER_ID = 191;

  private final ClassLoader classLoader;
  private final List<KryoRegistrar> registrars;
  private final ActorRefResolver actorRefResolver; // null: this codec cannot carry ActorRefs
  private final Pool<Kryo> pool;

  /** A codec that cannot carry typed ActorRefs; enough for journal events and tests without a system. */
  public static KryoCodec create(ClassLoader classLoader, List<KryoRegistrar> registrars) {
    return new KryoCodec(classLoader, registrars, null);
  }

  /** A codec that writes typed ActorRefs as paths and resolves them with {@code actorRefResolver}. */
  public static KryoCodec create(
      ClassLoader classLoader, List<KryoRegistrar> registrars, ActorRefResolver actorRefResolver) {
    return new KryoCodec(
        classLoader, registrars, Objects.requireNonNull(actorRefResolver, "actorRefResolver"));
  }

  private KryoCodec(
      ClassLoader classLoader, List<KryoRegistrar> registrars, ActorRefResolver actorRefResolver) {
    this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
    this.registrars = List.copyOf(registrars);
    this.actorRefResolver = actorRefResolver;
    this.pool =
        new Pool<>(true, false, POOL_SIZE_MAX) {
          @Override
          protected Kryo create() {
            return newKryo();
          }
        };
    // Build one instance now, so that a registrar that throws or a conflicting id fails here, when the
    // codec is created, rather than on the first message.
    pool.free(newKryo());
  }

  private Kryo newKryo() {
    Kryo kryo = new StrictKryo(classLoader);
    if (actorRefResolver != null) {
      ActorRefSerializer serializer = new ActorRefSerializer(actorRefResolver);
      // Any other ActorRef implementation then still gets the right serializer once registered.
      kryo.addDefaultSerializer(ActorRef.class, serializer);
      // Every typed ActorRef of a running system is an adapter over a classic ref (a probe's, a
      // resolved remote one's too); the typed ActorSystem is itself an ActorRef to the guardian.
      kryo.register(ActorRefAdapter.class, serializer, ACTOR_REF_ADAPTER_ID);
      kryo.register(ActorSystemAdapter.class, serializer, ACTOR_SYSTEM_ADAPTER_ID);
    }
    for (KryoRegistrar registrar : registrars) registrar.register(kryo);
    return kryo;
  }

  /** The bytes of {@code object}, its class included. */
  public byte[] toBytes(Object object) {
    return write(object, null);
  }

  /**
   * Writes what {@link #toBytes} returns into {@code buffer}, from its position on, and moves the position
   * past it; no intermediate array is allocated. When the bytes do not fit in what remains of the buffer,
   * throws a {@link BufferTooSmallException} (a {@link java.nio.BufferOverflowException}, which Artery
   * reports as an oversized message) and leaves the buffer as it was.
   */
  public void toBuffer(Object object, ByteBuffer buffer) {
    Objects.requireNonNull(buffer, "buffer");
    write(object, buffer);
  }

  /**
   * Writes {@code object}, its class included, to {@code out} through a buffer of its own, so that an
   * object graph of any size (a state machine snapshot) never needs one array of its whole size. Does not
   * close {@code out}; flushes what it wrote.
   */
  public void toStream(Object object, java.io.OutputStream out) {
    Objects.requireNonNull(object, "cannot serialize null");
    Output output = new Output(out, 64 * 1024);
    serialize(object, output);
    output.flush();
  }

  /** Reads one object that {@link #toStream} wrote from {@code in}, which must hold nothing after it. */
  public Object fromStream(java.io.InputStream in) {
    Kryo kryo = obtain();
    boolean healthy = false;
    try {
      Input input = new Input(in, 64 * 1024);
      Object object = kryo.readClassAndObject(input);
      if (object == null) throw new IllegalStateException("the stream encodes null");
      if (!input.end()) throw new IllegalStateException("bytes left over after a " + object.getClass().getName());
      healthy = true;
      return object;
    } catch (RuntimeException e) {
      throw new RaftSerializationException("Cannot deserialize a stream (corrupt, truncated, or written with a"
          + " different registrar list): " + describe(e), e);
    } finally {
      release(kryo, healthy);
    }
  }

  /** Serializes into this thread's reused output; returns a copy of the bytes, or null once put into {@code target}. */
  private byte[] write(Object object, ByteBuffer target) {
    Objects.requireNonNull(object, "cannot serialize null");
    ReusedOutput reused = REUSED_OUTPUT.get();
    Output output = reused.inUse ? new Output(OUTPUT_BYTES_INITIAL, -1) : reused.output;
    reused.inUse = true;
    try {
      output.reset();
      serialize(object, output);
      if (target == null) return output.toBytes();
      int size = output.position();
      if (size > target.remaining()) throw new BufferTooSmallException(object, size, target.remaining());
      target.put(output.getBuffer(), 0, size);
      return null;
    } finally {
      if (output == reused.output) {
        reused.inUse = false;
        if (output.getBuffer().length > REUSED_BYTES_MAX) reused.output = new Output(REUSED_OUTPUT_BYTES, -1);
      }
    }
  }

  private void serialize(Object object, Output output) {
    Kryo kryo = obtain();
    boolean healthy = false;
    try {
      kryo.writeClassAndObject(output, object);
      healthy = true;
    } catch (RuntimeException e) {
      throw new RaftSerializationException(
          "Cannot serialize " + object.getClass().getName() + ": " + describe(e), e);
    } finally {
      release(kryo, healthy);
    }
  }

  /**
   * One output buffer per thread, reused by every {@link #toBytes} and {@link #toBuffer} on it: a message
   * is written into a buffer that already has room, and only the final copy is allocated (none for a
   * ByteBuffer). A buffer that grew past {@link #REUSED_BYTES_MAX} (a snapshot) is dropped after use
   * rather than kept per thread.
   */
  private static final class ReusedOutput {
    Output output = new Output(REUSED_OUTPUT_BYTES, -1);
    boolean inUse;
  }

  /**
   * One array per thread into which {@link #fromBuffer} copies the bytes of a buffer without an array of
   * its own (Artery's direct envelope buffers): reading from an array is Kryo's fast path. It grows to at
   * most {@link #REUSED_BYTES_MAX}; a larger message gets an array of its own.
   */
  private static final class ReusedInput {
    byte[] bytes = new byte[REUSED_OUTPUT_BYTES];
    boolean inUse;
  }

  private static final int REUSED_OUTPUT_BYTES = 16 * 1024;
  private static final int REUSED_BYTES_MAX = 4 * 1024 * 1024;
  private static final ThreadLocal<ReusedOutput> REUSED_OUTPUT = ThreadLocal.withInitial(ReusedOutput::new);
  private static final ThreadLocal<ReusedInput> REUSED_INPUT = ThreadLocal.withInitial(ReusedInput::new);

  /** The object that {@link #toBytes} wrote into {@code bytes}. */
  public Object fromBytes(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    return read(bytes, 0, bytes.length);
  }

  /**
   * The object that {@link #toBytes} or {@link #toBuffer} wrote into {@code buffer} between its position
   * and its limit; the position then moves to the limit. Fails like {@link #fromBytes(byte[])} (and then
   * leaves the position where it was); bytes after the object up to the limit are an error too.
   */
  public Object fromBuffer(ByteBuffer buffer) {
    Objects.requireNonNull(buffer, "buffer");
    int length = buffer.remaining();
    Object object;
    if (buffer.hasArray()) {
      object = read(buffer.array(), buffer.arrayOffset() + buffer.position(), length);
    } else {
      ReusedInput reused = REUSED_INPUT.get();
      boolean ownArray = reused.inUse || length > REUSED_BYTES_MAX;
      byte[] bytes = ownArray ? new byte[length] : reused.bytes;
      if (!ownArray) {
        if (bytes.length < length) {
          bytes = reused.bytes = new byte[Math.min(REUSED_BYTES_MAX, Math.max(length, 2 * bytes.length))];
        }
        reused.inUse = true;
      }
      try {
        buffer.get(buffer.position(), bytes, 0, length);
        object = read(bytes, 0, length);
      } finally {
        if (!ownArray) reused.inUse = false;
      }
    }
    buffer.position(buffer.limit());
    return object;
  }

  private Object read(byte[] bytes, int offset, int length) {
    Kryo kryo = obtain();
    boolean healthy = false;
    try {
      Input input = new Input(bytes, offset, length);
      Object object = kryo.readClassAndObject(input);
      if (object == null) throw new IllegalStateException("the bytes encode null, which no message is");
      int end = offset + length;
      if (input.position() != end) {
        throw new IllegalStateException(
            (end - input.position()) + " bytes left over after a " + object.getClass().getName());
      }
      healthy = true;
      return object;
    } catch (RuntimeException e) {
      throw new RaftSerializationException(
          "Cannot deserialize " + length + " bytes (corrupt, truncated, or written with a different"
              + " registrar list): " + describe(e),
          e);
    } finally {
      release(kryo, healthy);
    }
  }

  /** Like {@link #fromBytes(byte[])}, and the result must be an instance of {@code expected}. */
  public <T> T fromBytes(byte[] bytes, Class<T> expected) {
    Object object = fromBytes(bytes);
    if (!expected.isInstance(object)) {
      throw new IllegalArgumentException(
          "Expected a " + expected.getName() + " but the bytes hold a " + object.getClass().getName());
    }
    return expected.cast(object);
  }

  /**
   * Kryo's message, which ends with the path to the failing field, and the first cause's if Kryo's
   * message hides it (a record constructor's exception arrives wrapped twice).
   */
  private static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String message = String.valueOf(e.getMessage());
    return root == e || message.contains(String.valueOf(root.getMessage()))
        ? message
        : message + "\nCaused by: " + root;
  }

  /**
   * An instance from the pool, built when none is free. Not kept per thread: a thread that runs once (a
   * CompletableFuture's async step runs on a new thread per task when the common pool has one thread, as on
   * 2 cores) would take its instance with it, and every call would build one.
   */
  private Kryo obtain() {
    return pool.obtain();
  }

  /** A Kryo that threw may hold half-finished state; it is dropped rather than reused. */
  private void release(Kryo kryo, boolean healthy) {
    if (healthy) pool.free(kryo);
  }
}
