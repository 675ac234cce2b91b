package io.pekkoraft.benchmarks;

import io.pekkoraft.consensus.StateMachine;
import java.nio.ByteBuffer;
import java.util.Random;

/**
 * The state machine of workload W1: one {@code long} register starting at 0. A command is an opaque block
 * of bytes whose first eight bytes are a big-endian increment; the rest is filler that only gives the
 * command its size. Applying adds the increment; the result is the new value.
 */
public final class Register implements StateMachine<Register.Add, Register.Get, Long> {

  /** Bytes 0-7: the increment, big-endian. */
  private static final int INCREMENT_BYTES = Long.BYTES;

  /**
   * A command as a user of Pekko Raft would write it: a class registered with Kryo
   * ({@link BenchKryoRegistrar}) that holds the payload.
   */
  public record Add(byte[] payload) {
    public Add {
      if (payload.length < INCREMENT_BYTES) {
        throw new IllegalArgumentException("a command needs at least " + INCREMENT_BYTES + " bytes, got " + payload.length);
      }
    }

    long increment() {
      return ByteBuffer.wrap(payload).getLong(0);
    }
  }

  /** Reads the value. */
  public enum Get {
    INSTANCE
  }

  private long value;

  /**
   * The command every W1 client sends again and again: {@code size} bytes, increment 1, then filler from
   * {@code new Random(clientId * 7919 + 1).nextBytes}, so each client has its own fixed bytes.
   */
  public static Add command(int clientId, int size) {
    if (size < INCREMENT_BYTES) {
      throw new IllegalArgumentException("--payload must be at least " + INCREMENT_BYTES + " bytes (the increment), got " + size);
    }
    byte[] filler = new byte[size - INCREMENT_BYTES];
    new Random(clientId * 7919L + 1).nextBytes(filler);
    ByteBuffer payload = ByteBuffer.allocate(size);
    payload.putLong(1L).put(filler);
    return new Add(payload.array());
  }

  @Override
  public Long apply(Add command) {
    value += command.increment();
    return value;
  }

  @Override
  public Long query(Get query) {
    return value;
  }
}
